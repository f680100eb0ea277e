#include "engine/engine.h"
#include <ATen/autocast_mode.h>
#include <chrono>
#include <cmath>
#include <limits>
#include "device.h"
#include "errors.h"
#include "instrument/host_syncs.h"
#include "models/data_fit.h"
#include "models/freeze_batch_norm_stats.h"
#include "optim/sam_method.h"
#include "random.h"

namespace pof {

namespace {

// Per-step statistics summed on the device; read back only when reporting.
struct Accumulator {
  torch::Tensor loss, errors, xi, perturbation, rejected, first_nonfinite;
  int64_t steps = 0, examples = 0;

  explicit Accumulator(const torch::Device& device) {
    auto f = torch::TensorOptions().dtype(torch::kFloat64).device(device);
    loss = torch::zeros({}, f), errors = torch::zeros({}, f), xi = torch::zeros({}, f);
    perturbation = torch::zeros({}, f), rejected = torch::zeros({}, f);
    first_nonfinite = torch::full({}, -1, f.dtype(torch::kLong));
  }
  void Add(const StepStats& s, int64_t batch) {
    first_nonfinite = torch::where((first_nonfinite < 0) & torch::isfinite(s.loss).logical_not(),
                                   torch::full({}, steps, first_nonfinite.options()), first_nonfinite);
    loss += s.loss.to(torch::kFloat64) * static_cast<double>(batch);
    errors += s.errors.to(torch::kFloat64);
    if (s.xi.defined()) {
      xi += s.xi.to(torch::kFloat64);
      perturbation += s.perturbation.to(torch::kFloat64);
      rejected += s.rejected.to(torch::kFloat64);
    }
    steps += 1, examples += batch;
  }
  // The one host read (a synchronisation) per report / epoch: all statistics in one copy. Data
  // parallel: the sums over every rank's shard.
  EpochStats Read(int64_t epoch, const CrossRank& ranks) const {
    IntendedHostSync intended;
    const auto host = torch::stack({loss, errors, rejected, xi, perturbation, first_nonfinite.to(torch::kFloat64)})
                          .to(torch::kCPU);
    const double* v = host.data_ptr<double>();
    ranks.Sum({host.slice(0, 0, 2)});  // loss and error sums; PoF's figures are the same on every rank
    if (ranks.distributed()) {
      // The first bad step of any rank: -1 (none) counts as the largest.
      auto bad = torch::where(host.slice(0, 5, 6) < 0, std::numeric_limits<double>::max(), host.slice(0, 5, 6));
      ranks.communicator().AllReduce({bad}, ReduceOp::kMin);
      const double first_bad = bad.item<double>();
      host[5].fill_(first_bad == std::numeric_limits<double>::max() ? -1.0 : first_bad);
    }
    const auto bad = static_cast<int64_t>(v[5]);
    if (bad >= 0) {
      throw UserError("the training loss became NaN or infinite at epoch " + std::to_string(epoch + 1) + ", step " +
                          std::to_string(bad + 1) + " (lower the learning rate or check the inputs)",
                      ErrorKind::kNonFinite);
    }
    EpochStats out;
    out.steps = steps, out.examples = examples * ranks.world_size();
    if (steps == 0) return out;
    out.loss = v[0] / out.examples;
    out.error = 100.0 * v[1] / out.examples;
    const double accepted = steps - v[2];
    out.reject_rate = v[2] / steps;
    out.xi = accepted > 0 ? v[3] / accepted : 0;
    out.perturbation = accepted > 0 ? v[4] / accepted : 0;
    return out;
  }
};

// bf16 autocast on CUDA for one step; autocast state is thread-local and restored afterwards.
class CudaBf16Autocast {
 public:
  explicit CudaBf16Autocast(bool on) : on_(on) {
    if (!on_) return;
    previous_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
    previous_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::increment_nesting();
  }
  ~CudaBf16Autocast() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(at::kCUDA, previous_enabled_);
    at::autocast::set_autocast_dtype(at::kCUDA, previous_dtype_);
  }
  CudaBf16Autocast(const CudaBf16Autocast&) = delete;
  CudaBf16Autocast& operator=(const CudaBf16Autocast&) = delete;

 private:
  bool on_, previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Engine::Engine(std::shared_ptr<ModelHandle> model, uint64_t seed)
    : model_(std::move(model)), generator_(MakeGenerator(model_->device, seed)) {}

void Engine::ConfigureOptimizer(bool features_only, const SgdOptions& options) {
  auto& m = model_->Get();
  std::vector<torch::Tensor> params;
  optimizer_names_.clear();
  for (auto& [name, p] : m.NamedParameters()) {
    if (features_only && m.IsClassifierParameter(name)) continue;
    params.push_back(p);
    optimizer_names_.push_back(name);
  }
  optimizer_ = std::make_unique<Sgd>(std::move(params), options);
  optimizer_features_only_ = features_only;
}

std::vector<std::pair<std::string, torch::Tensor>> Engine::MomentumBuffers() {
  auto& buffers = optimizer().momentum_buffers();
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = 0; i < buffers.size(); ++i) out.emplace_back(optimizer_names_[i], buffers[i]);
  return out;
}

void Engine::SetMomentumBuffers(const std::map<std::string, torch::Tensor>& given) {
  auto& buffers = optimizer().momentum_buffers();
  if (given.size() != buffers.size()) {
    throw UserError("optimizer state has " + std::to_string(given.size()) + " momentum buffers but the optimizer updates " +
                    std::to_string(buffers.size()) + " parameters");
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    auto it = given.find(optimizer_names_[i]);
    if (it == given.end()) throw UserError("optimizer state has no momentum buffer for '" + optimizer_names_[i] + "'");
    if (it->second.sizes() != buffers[i].sizes()) {
      throw UserError("momentum buffer of '" + optimizer_names_[i] + "': given " + c10::str(it->second.sizes()) +
                      " vs parameter " + c10::str(buffers[i].sizes()));
    }
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(given.at(optimizer_names_[i]));
}

torch::Tensor Engine::GeneratorState() {
  std::lock_guard<std::mutex> lock(generator_.mutex());
  return generator_.get_state();
}

void Engine::CheckGeneratorState(const torch::Tensor& state) {
  if (state.scalar_type() != torch::kUInt8 || state.dim() != 1) throw UserError("generator state must be a 1-D uint8 tensor");
  at::Generator trial;
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    trial = generator_.clone();
  }
  try {
    trial.set_state(state);
  } catch (const c10::Error& e) {
    throw UserError("the generator state (" + std::to_string(state.numel()) + " bytes) is not one a " +
                        generator_.device().str() + " generator takes: " + CleanMessage(e.what_without_backtrace()),
                    ErrorKind::kCheckpoint);
  }
}

void Engine::SetGeneratorState(const torch::Tensor& state) {
  CheckGeneratorState(state);
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_state(state);
}

void Engine::SetLearningRate(double lr) {
  SgdOptions next = optimizer().options;
  next.lr = lr;
  next.Validate();
  optimizer_->options = next;
}

void Engine::Dispose() {
  auto busy = model_->Acquire("dispose the engine");
  optimizer_.reset();
  optimizer_names_.clear();
  method_.reset();
}

void EpochOptions::Validate() const {
  CheckAtLeast("batchSize", batch_size, 1);
  CheckAtLeast("epoch", epoch, 0);
  CheckAtLeast("totalEpochs", total_epochs, epoch + 1);
  CheckAtLeast("reportEvery", report_every, 0);
  method->Validate(batch_size);
}

void Engine::ConfigurePerformance(const PerformanceOptions& options) {
  const auto& device = model_->device;
  if (!device.is_cuda() && (options.cudnn_benchmark || options.autocast_bf16)) {
    throw UserError(std::string(options.cudnn_benchmark ? "cudnnBenchmark" : "autocast 'bf16'") +
                    " applies to CUDA devices only, but the model is on " + DeviceName(device) +
                    "; leave it off on the CPU");
  }
  if (options.channels_last) {
    if (!model_->Get().ConvertToChannelsLast()) {
      throw UserError("channelsLast needs a convolutional model (4-D weights), e.g. a wideResNet");
    }
    // Momentum buffers made before the conversion take the new layout too.
    if (optimizer_) ConfigureOptimizer(optimizer_features_only_, optimizer_->options);
  }
  if (options.cudnn_benchmark) at::globalContext().setBenchmarkCuDNN(true);
  performance_ = options;
}

Batch Engine::Prepare(Batch batch) const {
  if (performance_.channels_last && batch.inputs.dim() == 4) {
    batch.inputs = batch.inputs.contiguous(at::MemoryFormat::ChannelsLast);
  }
  return batch;
}

Sgd& Engine::optimizer() {
  if (!optimizer_) throw UserError("no optimizer configured: call configureOptimizer first");
  return *optimizer_;
}

void Engine::CheckData(const DeviceDataset& data, const char* what) const { CheckDataFits(data, *model_, what); }

void Engine::CheckShards(const char* what, int64_t batch) const {
  if (batch % ranks_.world_size() != 0) {
    throw UserError(std::string(what) + " (" + std::to_string(batch) + ") is the global batch of the job: it must split into " +
                    std::to_string(ranks_.world_size()) + " equal shards, one per rank (a multiple of the world size)");
  }
}

void Engine::JoinProcessGroup(std::shared_ptr<Communicator> communicator) {
  auto busy = model_->Acquire("join a process group");
  if (ranks_.distributed()) throw UserError("this trainer is already one rank of a data-parallel job");
  CrossRank ranks(std::move(communicator));
  auto& network = model_->Get();
  std::vector<torch::Tensor> state;
  for (auto& [name, t] : network.StateTensors()) state.push_back(t.detach());
  torch::Tensor generator_state = GeneratorState();
  state.push_back(generator_state);
  ranks.Broadcast(state, 0);
  SetGeneratorState(generator_state);
  ranks_ = ranks;
  gradient_hook_ = [ranks](const std::vector<torch::Tensor>& params) {
    std::vector<torch::Tensor> grads;
    for (const auto& p : params) grads.push_back(p.grad());
    ranks.Average(grads);
  };
}

void Engine::AverageBuffers() {
  if (!ranks_.distributed()) return;
  std::vector<torch::Tensor> floating;
  for (auto& [name, t] : model_->Get().NamedBuffers()) {
    if (t.is_floating_point()) floating.push_back(t);
  }
  ranks_.Average(floating);
}

TrainingMethod& Engine::MethodFor(const EpochOptions& options) {
  options.method->CheckOptimizer(optimizer_features_only_);
  return options.method->Configure(method_);
}

StepStats Engine::Step(const Batch& regular_batch, const std::function<Batch()>& draw_weak,
                       const EpochOptions& options, double schedule_fraction) {
  Sgd& sgd = optimizer();
  TrainingMethod& method = MethodFor(options);
  StepInput input;
  input.regular = Prepare(regular_batch);
  input.draw_weak = [&] { return Prepare(draw_weak()); };
  input.generator = &generator_;
  input.schedule_fraction = schedule_fraction;
  input.gradient_hook = gradient_hook_;
  input.ranks = ranks_;
  CudaBf16Autocast autocast(performance_.autocast_bf16);
  return method.Step(model_->Get(), sgd, input);
}

EpochStats Engine::RunEpoch(const DeviceDataset& data, const EpochOptions& options, const Report& report) {
  options.Validate();
  CheckData(data, "training data");
  // PoF's B, 0 for a method that draws none.
  const int64_t weak_batch = options.method->WeakBatchSize();
  if (options.batch_size > data.size() || weak_batch > data.size()) {
    throw UserError(std::string(options.batch_size > data.size() ? "batchSize (" : "weakBatchSize (") +
                        std::to_string(std::max(options.batch_size, weak_batch)) + ") exceeds the " +
                        std::to_string(data.size()) + " examples of the training data",
                    ErrorKind::kOption);
  }
  CheckShards("batchSize", options.batch_size);
  if (weak_batch > 0) CheckShards("weakBatchSize", weak_batch);
  ranks_.CheckSame({{"the training data's size", data.size()}, {"batchSize", options.batch_size},
                    {"the method", options.method_index}, {"weakBatchSize", weak_batch},
                    {"the epoch", options.epoch}});
  const auto started = std::chrono::steady_clock::now();
  cancel_ = false;
  model_->Get().SetTraining(true);
  const int64_t n = data.size();
  const int64_t batch = options.batch_size;
  // Data parallel: every rank draws the same permutations; this rank takes its shard of each batch.
  const Shard shard{ranks_.rank(), ranks_.world_size()};
  const int64_t local = batch / shard.count, weak_local = weak_batch / shard.count;
  const int64_t steps = n / batch;  // the last partial batch is dropped: static shapes, unbiased BN
  const auto device = model_->device;
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  auto order = torch::randperm(n, generator_, long_opts);
  // PoF's B: an independent draw, from as many further permutations as the epoch needs.
  // Drawn in full even under feature reuse (which uses only the first B), so that reuse on or off
  // sees the same B~ sequence from the same seed.
  torch::Tensor weak_order;
  if (weak_batch > 0) {
    std::vector<torch::Tensor> parts;
    for (int64_t have = 0; have < steps * weak_batch; have += n) parts.push_back(torch::randperm(n, generator_, long_opts));
    weak_order = torch::cat(parts);
  }
  if (data.inputs->reads_on_host()) {
    // A store reads on the host: the epoch's order goes there once, not at every batch. The same draws as a
    // resident copy's, so a store and the resident copy of the same data train bit-identically.
    order = order.to(torch::kCPU);
    if (weak_order.defined()) weak_order = weak_order.to(torch::kCPU);
  }
  const auto regular_at = [&](int64_t step) { return order.slice(0, step * batch + shard.index * local, step * batch + (shard.index + 1) * local); };
  const auto weak_at = [&](int64_t step) {
    return weak_order.slice(0, step * weak_batch + shard.index * weak_local, step * weak_batch + (shard.index + 1) * weak_local);
  };
  method_.reset();  // no state carries into an epoch: its first PoF iteration computes B's features afresh
  Accumulator acc(device);
  // The ranks agree on a stop (Ctrl-C reaches them at different steps): all stop at the same step.
  bool stop = false;
  for (int64_t step = 0; step < steps && !(stop = ranks_.Any(cancel_)); ++step) {
    Batch regular = data.Gather(regular_at(step), true, generator_, shard);
    // While this step computes, a store reads its B~ and the next step's batch.
    if (weak_batch > 0) data.ReadAhead(weak_at(step));
    if (step + 1 < steps) data.ReadAhead(regular_at(step + 1));
    auto draw_weak = [&] { return data.Gather(weak_at(step), true, generator_, shard); };
    const double fraction = static_cast<double>(options.epoch * steps + step + 1) / (options.total_epochs * steps);
    acc.Add(Step(regular, draw_weak, options, fraction), local);
    if (report && options.report_every > 0 && (step + 1) % options.report_every == 0 && step + 1 < steps) {
      // Progress shows this rank's own shards: a collective here would need every rank to report alike.
      EpochStats so_far = acc.Read(options.epoch, CrossRank());
      so_far.seconds = Seconds(started);
      report(step + 1, steps, so_far);
    }
  }
  AverageBuffers();
  EpochStats out = acc.Read(options.epoch, ranks_);
  cancel_ = false;
  out.cancelled = stop;
  out.seconds = Seconds(started);
  return out;
}

EpochStats Engine::RunStep(const DeviceDataset& data, const torch::Tensor& indices, const torch::Tensor& weak_indices,
                           const EpochOptions& options) {
  options.Validate();
  CheckData(data, "training data");
  const auto started = std::chrono::steady_clock::now();
  model_->Get().SetTraining(true);
  Batch regular = data.Gather(indices.to(model_->device), false, generator_);
  // The method object as this step will use it (Step configures the same one again).
  const bool carried = options.method->Configure(method_).CarriesWeakBatch();
  if (carried && weak_indices.defined()) {
    throw UserError("featureReuse takes B from the previous PoF step's B~: do not give weakIndices");
  }
  auto draw_weak = [&] {
    if (!weak_indices.defined()) {
      throw UserError("featureReuse needs a previous PoF step whose B~ to reuse; give weakIndices for this first step");
    }
    return data.Gather(weak_indices.to(model_->device), false, generator_);
  };
  Accumulator acc(model_->device);
  acc.Add(Step(regular, draw_weak, options, 1.0), indices.size(0));
  AverageBuffers();
  EpochStats out = acc.Read(options.epoch, ranks_);
  out.seconds = Seconds(started);
  return out;
}

void Engine::SamAscendOn(const DeviceDataset& data, const torch::Tensor& indices, double rho) {
  CheckData(data, "data");
  auto& model = model_->Get();
  model.SetTraining(true);
  std::vector<torch::Tensor> params;
  for (auto& [name, p] : model.NamedParameters()) params.push_back(p);
  BufferSnapshot snapshot;
  FreezeBatchNormStats frozen(model, snapshot);
  SamAscend(model, params, data.Gather(indices.to(model_->device), false, generator_), rho);
}

torch::Tensor Engine::FeaturesOf(const DeviceDataset& data, const torch::Tensor& indices) {
  CheckData(data, "data");
  auto& model = model_->Get();
  model.SetTraining(false);
  torch::NoGradGuard no_grad;
  auto features = model.Features(data.Gather(indices.to(model_->device), false, generator_).inputs);
  model.SetTraining(true);
  return features;
}

EvalStats Engine::Evaluate(const DeviceDataset& data, int64_t batch_size, bool predictions) {
  CheckData(data, "evaluation data");
  if (batch_size < 1) throw UserError("evaluation batchSize must be >= 1, got " + std::to_string(batch_size));
  auto& model = model_->Get();
  model.SetTraining(false);
  torch::NoGradGuard no_grad;
  auto f = torch::TensorOptions().dtype(torch::kFloat64).device(model_->device);
  auto loss = torch::zeros({}, f), errors = torch::zeros({}, f);
  const int64_t classes = model.num_classes();
  auto class_examples = torch::zeros({classes}, f), class_errors = torch::zeros({classes}, f);
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(model_->device);
  ranks_.CheckSame({{"the evaluation data's size", data.size()}});
  const bool on_host = data.inputs->reads_on_host();  // a store: indices on the host, the next batch read ahead
  // Data parallel: rank r evaluates the r-th of world_size contiguous parts of the set.
  const int64_t part = (data.size() + ranks_.world_size() - 1) / ranks_.world_size();
  const int64_t begin = std::min(data.size(), ranks_.rank() * part), end = std::min(data.size(), begin + part);
  // Every rank fills its own part and leaves the rest at zero: the ranks' sum is every example's prediction.
  auto predicted = predictions ? torch::zeros({data.size()}, f) : torch::Tensor();
  for (int64_t start = begin; start < end; start += batch_size) {
    auto indices = torch::arange(start, std::min(start + batch_size, end), on_host ? torch::TensorOptions(torch::kLong) : long_opts);
    if (on_host && start + batch_size < end) data.ReadAhead(torch::arange(start + batch_size, std::min(start + 2 * batch_size, end)));
    Batch b = data.Gather(indices, false, generator_);
    auto logits = model.Forward(b.inputs);
    loss += torch::cross_entropy_loss(logits, b.labels, {}, at::Reduction::Sum).to(torch::kFloat64);
    const auto argmax = logits.argmax(1);
    if (predictions) predicted.slice(0, start, start + argmax.size(0)).copy_(argmax);
    const auto wrong = argmax.ne(b.labels);
    errors += wrong.sum().to(torch::kFloat64);
    // Per class on the device with index_add_ (bincount sizes its output from the largest label: a host sync).
    class_examples.index_add_(0, b.labels, torch::ones({b.labels.size(0)}, f));
    class_errors.index_add_(0, b.labels, wrong.to(torch::kFloat64));
  }
  model.SetTraining(true);
  EvalStats out;
  out.examples = data.size();
  IntendedHostSync intended;
  auto sums = torch::cat({torch::stack({loss, errors}), class_examples, class_errors}).to(torch::kCPU);
  ranks_.Sum({sums});
  if (out.examples > 0) {
    out.loss = sums[0].item<double>() / out.examples;
    out.error = 100.0 * sums[1].item<double>() / out.examples;
  }
  const double* per = sums.data_ptr<double>() + 2;
  out.class_examples.assign(per, per + classes);
  out.class_errors.assign(per + classes, per + 2 * classes);
  if (predictions) {
    auto host = predicted.to(torch::kCPU);
    ranks_.Sum({host});
    auto labels = host.to(torch::kInt32).contiguous();
    out.predictions.assign(labels.data_ptr<int32_t>(), labels.data_ptr<int32_t>() + labels.numel());
  }
  return out;
}

}  // namespace pof
