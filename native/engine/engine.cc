#include "engine/engine.h"
#include <chrono>
#include "device.h"
#include "errors.h"
#include "models/batch_norm.h"
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
  // Host read (a synchronisation): once per report / epoch.
  EpochStats Read(int64_t epoch) const {
    const int64_t bad = first_nonfinite.item<int64_t>();
    if (bad >= 0) {
      throw UserError("the training loss became NaN or infinite at epoch " + std::to_string(epoch + 1) + ", step " +
                      std::to_string(bad + 1) + " (lower the learning rate or check the inputs)");
    }
    EpochStats out;
    out.steps = steps, out.examples = examples;
    if (steps == 0) return out;
    out.loss = loss.item<double>() / examples;
    out.error = 100.0 * errors.item<double>() / examples;
    const double accepted = steps - rejected.item<double>();
    out.reject_rate = rejected.item<double>() / steps;
    out.xi = accepted > 0 ? xi.item<double>() / accepted : 0;
    out.perturbation = accepted > 0 ? perturbation.item<double>() / accepted : 0;
    return out;
  }
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

Engine::Engine(std::shared_ptr<ModelHandle> model, uint64_t seed)
    : model_(std::move(model)), generator_(MakeGenerator(model_->device, seed)) {}

void Engine::ConfigureOptimizer(bool features_only, const SgdOptions& options) {
  auto& m = *model_->model;
  // Named here with the same filter as FeatureParameters(), so names and parameters stay aligned.
  std::vector<torch::Tensor> params;
  optimizer_names_.clear();
  for (const auto& item : m.named_parameters()) {
    if (features_only && item.key().rfind("classifiers.", 0) == 0) continue;
    params.push_back(item.value());
    optimizer_names_.push_back(item.key());
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

void Engine::SetGeneratorState(const torch::Tensor& state) {
  if (state.scalar_type() != torch::kUInt8 || state.dim() != 1) throw UserError("generator state must be a 1-D uint8 tensor");
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_state(state);
}

void Engine::SetLearningRate(double lr) { optimizer().options.lr = lr; }

Sgd& Engine::optimizer() {
  if (!optimizer_) throw UserError("no optimizer configured: call configureOptimizer first");
  return *optimizer_;
}

void Engine::CheckDevice(const DeviceDataset& data) const {
  if (data.inputs.device() != model_->device) {
    throw UserError("the dataset is on " + DeviceName(data.inputs.device()) + " but the model on " +
                    DeviceName(model_->device) + "; create the dataset on the model's device");
  }
}

StepStats Engine::Step(const Batch& regular, const Batch* weak, const EpochOptions& options, double schedule_fraction) {
  auto& model = *model_->model;
  switch (options.method) {
    case Method::kSgd: return StandardStep(model, optimizer(), regular);
    case Method::kSam: return SamStep(model, optimizer(), regular, options.rho);
    case Method::kPof: {
      if (!optimizer_features_only_) throw UserError("PoF updates the feature extractor only: configure the optimizer with features only");
      auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(model_->device);
      torch::Tensor gamma;
      switch (options.gamma_mode) {
        case GammaMode::kFixed: gamma = torch::full({}, options.gamma, opts); break;
        case GammaMode::kUniform: gamma = torch::rand({}, generator_, opts) * options.gamma; break;
        case GammaMode::kLinear: gamma = torch::full({}, options.gamma * schedule_fraction, opts); break;
      }
      return PofStep(model, optimizer(), *weak, regular, gamma, options.pof);
    }
  }
  throw UserError("unknown training method");
}

EpochStats Engine::RunEpoch(const DeviceDataset& data, const EpochOptions& options, const Report& report) {
  CheckDevice(data);
  const auto started = std::chrono::steady_clock::now();
  cancel_ = false;
  auto& model = *model_->model;
  model.train();
  const int64_t n = data.size();
  const int64_t batch = std::min(options.batch_size, n);
  const int64_t steps = n / batch;  // the last partial batch is dropped: static shapes, unbiased BN
  const auto device = model_->device;
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  auto order = torch::randperm(n, generator_, long_opts);
  // PoF's B: an independent draw, from as many further permutations as the epoch needs.
  torch::Tensor weak_order;
  const int64_t weak_batch = std::min(options.weak_batch_size, n);
  if (options.method == Method::kPof) {
    std::vector<torch::Tensor> parts;
    for (int64_t have = 0; have < steps * weak_batch; have += n) parts.push_back(torch::randperm(n, generator_, long_opts));
    weak_order = torch::cat(parts);
  }
  Accumulator acc(device);
  for (int64_t step = 0; step < steps && !cancel_; ++step) {
    Batch regular = data.Gather(order.slice(0, step * batch, (step + 1) * batch), true, generator_);
    Batch weak;
    if (options.method == Method::kPof) {
      weak = data.Gather(weak_order.slice(0, step * weak_batch, (step + 1) * weak_batch), true, generator_);
    }
    const double fraction = static_cast<double>(options.epoch * steps + step + 1) / (options.total_epochs * steps);
    acc.Add(Step(regular, &weak, options, fraction), batch);
    if (report && options.report_every > 0 && (step + 1) % options.report_every == 0 && step + 1 < steps) {
      EpochStats so_far = acc.Read(options.epoch);
      so_far.seconds = Seconds(started);
      report(step + 1, steps, so_far);
    }
  }
  EpochStats out = acc.Read(options.epoch);
  out.cancelled = cancel_.exchange(false);
  out.seconds = Seconds(started);
  return out;
}

EpochStats Engine::RunStep(const DeviceDataset& data, const torch::Tensor& indices, const torch::Tensor& weak_indices,
                           const EpochOptions& options) {
  CheckDevice(data);
  const auto started = std::chrono::steady_clock::now();
  model_->model->train();
  Batch regular = data.Gather(indices.to(model_->device), false, generator_);
  Batch weak;
  if (options.method == Method::kPof) weak = data.Gather(weak_indices.to(model_->device), false, generator_);
  Accumulator acc(model_->device);
  acc.Add(Step(regular, &weak, options, 1.0), indices.size(0));
  EpochStats out = acc.Read(options.epoch);
  out.seconds = Seconds(started);
  return out;
}

void Engine::SamAscendOn(const DeviceDataset& data, const torch::Tensor& indices, double rho) {
  CheckDevice(data);
  auto& model = *model_->model;
  model.train();
  FreezeBatchNormStats frozen;
  SamAscend(model, model.parameters(), data.Gather(indices.to(model_->device), false, generator_), rho);
}

torch::Tensor Engine::FeaturesOf(const DeviceDataset& data, const torch::Tensor& indices) {
  CheckDevice(data);
  auto& model = *model_->model;
  model.eval();
  torch::NoGradGuard no_grad;
  auto features = model.Features(data.Gather(indices.to(model_->device), false, generator_).inputs);
  model.train();
  return features;
}

EvalStats Engine::Evaluate(const DeviceDataset& data, int64_t batch_size) {
  CheckDevice(data);
  auto& model = *model_->model;
  model.eval();
  torch::NoGradGuard no_grad;
  auto f = torch::TensorOptions().dtype(torch::kFloat64).device(model_->device);
  auto loss = torch::zeros({}, f), errors = torch::zeros({}, f);
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(model_->device);
  for (int64_t start = 0; start < data.size(); start += batch_size) {
    auto indices = torch::arange(start, std::min(start + batch_size, data.size()), long_opts);
    Batch b = data.Gather(indices, false, generator_);
    auto logits = model.forward(b.inputs);
    loss += torch::cross_entropy_loss(logits, b.labels, {}, at::Reduction::Sum).to(torch::kFloat64);
    errors += logits.argmax(1).ne(b.labels).sum().to(torch::kFloat64);
  }
  model.train();
  EvalStats out;
  out.examples = data.size();
  if (out.examples > 0) {
    out.loss = loss.item<double>() / out.examples;
    out.error = 100.0 * errors.item<double>() / out.examples;
  }
  return out;
}

}  // namespace pof
