#include "engine/engine_wrap.h"
#include "async.h"
#include "data/dataset_wrap.h"
#include "distributed/process_group_wrap.h"
#include "js_args.h"
#include "models/model_wrap.h"
#include "optim/method_options.h"
#include "tensor.h"

namespace pof {

namespace {

// Every field is required: lib/defaults.ts resolves the options (defaults included) before they get here.
// Beside the loop's own fields, `method` names the training method, whose parser reads its own fields.
EpochOptions ParseEpochOptions(const Napi::Object& o) {
  EpochOptions e;
  e.batch_size = IntField(o, "batchSize");
  e.epoch = IntField(o, "epoch");
  e.total_epochs = IntField(o, "totalEpochs");
  e.report_every = IntField(o, "reportEvery");
  ParsedMethod method = ParseMethodOptions(o);
  e.method = std::move(method.options);
  e.method_index = method.index;
  e.Validate();
  return e;
}

Napi::Object EpochStatsToJs(Napi::Env env, const EpochStats& s) {
  auto out = Napi::Object::New(env);
  out.Set("steps", static_cast<double>(s.steps));
  out.Set("examples", static_cast<double>(s.examples));
  out.Set("loss", s.loss);
  out.Set("error", s.error);
  out.Set("xi", s.xi);
  out.Set("perturbation", s.perturbation);
  out.Set("rejectRate", s.reject_rate);
  out.Set("seconds", s.seconds);
  out.Set("cancelled", s.cancelled);
  return out;
}

struct Progress {
  int64_t step = 0, steps = 0;
  EpochStats stats;
};

// Runs one epoch on the thread pool; progress records are delivered to onProgress in order.
class EpochWorker : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  EpochWorker(Napi::Env env, Napi::Function on_progress, std::shared_ptr<Engine> engine,
              std::shared_ptr<const DeviceDataset> data, EpochOptions options, std::shared_ptr<void> busy)
      : Napi::AsyncProgressQueueWorker<Progress>(on_progress), deferred_(Napi::Promise::Deferred::New(env)),
        engine_(std::move(engine)), data_(std::move(data)), options_(options), busy_(std::move(busy)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      result_ = engine_->RunEpoch(*data_, options_, [&](int64_t step, int64_t steps, const EpochStats& s) {
        Progress p{step, steps, s};
        progress.Send(&p, 1);
      });
    } catch (...) {
      failure_ = DescribeCurrentException();
      SetError(failure_.message);
    }
    busy_.reset();
  }
  // A throwing callback stops the epoch at the next step; the promise then rejects with its error.
  void OnProgress(const Progress* data, size_t count) override {
    Napi::HandleScope scope(Env());
    if (Callback().IsEmpty() || !callback_error_.IsEmpty()) return;
    for (size_t i = 0; i < count; ++i) {
      auto stats = EpochStatsToJs(Env(), data[i].stats);
      stats.Set("step", static_cast<double>(data[i].step));
      stats.Set("stepsPerEpoch", static_cast<double>(data[i].steps));
      try {
        Callback().Call({stats});
      } catch (const Napi::Error& e) {
        callback_error_ = Napi::Persistent(e.Value());
        engine_->RequestCancel();
        return;
      }
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (!callback_error_.IsEmpty()) return deferred_.Reject(callback_error_.Value());
    deferred_.Resolve(EpochStatsToJs(Env(), result_));
  }
  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(callback_error_.IsEmpty() ? ToJsError(Env(), failure_).Value() : callback_error_.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Engine> engine_;
  std::shared_ptr<const DeviceDataset> data_;
  EpochOptions options_;
  std::shared_ptr<void> busy_;
  EpochStats result_;
  NativeFailure failure_;
  Napi::ObjectReference callback_error_;
};

}  // namespace

Napi::Function EngineWrap::Init(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {JsMethod<&EngineWrap::ConfigureOptimizer>("configureOptimizer"),
                      JsMethod<&EngineWrap::SetLearningRate>("setLearningRate"),
                      JsMethod<&EngineWrap::ConfigurePerformance>("configurePerformance"),
                      JsMethod<&EngineWrap::TrainEpoch>("trainEpoch"), JsMethod<&EngineWrap::TrainStep>("trainStep"),
                      JsMethod<&EngineWrap::Evaluate>("evaluate"), JsMethod<&EngineWrap::SamAscend>("samAscend"),
                      JsMethod<&EngineWrap::Features>("features"), JsMethod<&EngineWrap::Cancel>("cancel"),
                      JsMethod<&EngineWrap::OptimizerState>("optimizerState"),
                      JsMethod<&EngineWrap::SetOptimizerState>("setOptimizerState"),
                      JsMethod<&EngineWrap::RngState>("rngState"), JsMethod<&EngineWrap::SetRngState>("setRngState"),
                      JsMethod<&EngineWrap::CheckRngState>("checkRngState"),
                      JsMethod<&EngineWrap::JoinProcessGroup>("joinProcessGroup"),
                      JsMethod<&EngineWrap::Dispose>("dispose")});
}

// new Engine(model, seed)
EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : GuardedObjectWrap<EngineWrap>(info) {
  Construct(info, [&] {
    auto model = ModelWrap::FromJs(info[0]);
    model->Get();
    const int64_t seed = IntArg(info, 1, "engine seed");
    if (seed < 0) throw UserError("engine seed must be >= 0, got " + std::to_string(seed));
    engine_ = std::make_shared<Engine>(model, static_cast<uint64_t>(seed));
  });
}

// dispose(): frees the optimizer state now (refused while busy).
Napi::Value EngineWrap::Dispose(const Napi::CallbackInfo& info) {
  if (engine_->model_handle()->model) engine_->Dispose();
  ReportOptimizerMemory(info.Env(), 0);
  return info.Env().Undefined();
}

void EngineWrap::ReportOptimizerMemory(Napi::Env env, int64_t bytes) {
  if (bytes != external_bytes_) Napi::MemoryManagement::AdjustExternalMemory(env, bytes - external_bytes_);
  external_bytes_ = bytes;
}

void EngineWrap::Finalize(Napi::Env env) { ReportOptimizerMemory(env, 0); }

// configureOptimizer({ featuresOnly, lr, momentum, weightDecay, nesterov })
Napi::Value EngineWrap::ConfigureOptimizer(const Napi::CallbackInfo& info) {
  engine_->model_handle()->CheckIdle("configure the optimizer");
  auto o = ObjectArg(info, 0, "optimizer options");
  SgdOptions s;
  s.lr = NumberField(o, "lr");
  s.momentum = NumberField(o, "momentum");
  s.weight_decay = NumberField(o, "weightDecay");
  s.nesterov = BoolField(o, "nesterov");
  s.Validate();
  engine_->ConfigureOptimizer(BoolField(o, "featuresOnly"), s);
  int64_t bytes = 0;  // the momentum buffers: as large as the parameters they update
  for (const auto& [name, buffer] : engine_->MomentumBuffers()) bytes += buffer.nbytes();
  ReportOptimizerMemory(info.Env(), bytes);
  return info.Env().Undefined();
}

Napi::Value EngineWrap::SetLearningRate(const Napi::CallbackInfo& info) {
  engine_->model_handle()->CheckIdle("change the learning rate");
  engine_->SetLearningRate(NumberArg(info, 0, "learning rate"));
  return info.Env().Undefined();
}

// configurePerformance({ channelsLast, cudnnBenchmark, autocast: 'none' | 'bf16' })
Napi::Value EngineWrap::ConfigurePerformance(const Napi::CallbackInfo& info) {
  engine_->model_handle()->CheckIdle("change performance options");
  auto o = ObjectArg(info, 0, "performance options");
  PerformanceOptions p;
  p.channels_last = BoolField(o, "channelsLast");
  p.cudnn_benchmark = BoolField(o, "cudnnBenchmark");
  const std::string autocast = StringField(o, "autocast");
  if (autocast == "bf16") p.autocast_bf16 = true;
  else if (autocast != "none") throw UserError("autocast '" + autocast + "' is unknown; expected 'none' or 'bf16'");
  engine_->ConfigurePerformance(p);
  return info.Env().Undefined();
}

// trainEpoch(dataset, options, onProgress?) -> Promise<EpochStats>
Napi::Value EngineWrap::TrainEpoch(const Napi::CallbackInfo& info) {
  auto data = DatasetWrap::FromJs(info[0], "training data");
  auto options = ParseEpochOptions(ObjectArg(info, 1, "epoch options"));
  engine_->optimizer();  // fail early, on the main thread, when none is configured
  auto busy = engine_->model_handle()->Acquire("train");
  Napi::Function on_progress = info.Length() > 2 && info[2].IsFunction()
                                   ? info[2].As<Napi::Function>()
                                   : Napi::Function::New(info.Env(), [](const Napi::CallbackInfo&) {});
  auto* worker = new EpochWorker(info.Env(), on_progress, engine_, data, options, busy);
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

// trainStep(dataset, indices, weakIndices | null, options) -> Promise<EpochStats>
Napi::Value EngineWrap::TrainStep(const Napi::CallbackInfo& info) {
  auto data = DatasetWrap::FromJs(info[0], "training data");
  auto indices = IndicesArg(info[1], "indices", data->size());
  auto options = ParseEpochOptions(ObjectArg(info, 3, "step options"));
  torch::Tensor weak;
  // Under feature reuse, B comes from the previous step after the first one.
  const bool weak_given = !(info[2].IsNull() || info[2].IsUndefined());
  if (options.method->WeakBatchSize() > 0 && (weak_given || !options.method->ReusesWeakBatch())) {
    weak = IndicesArg(info[2], "weakIndices", data->size());
  }
  engine_->optimizer();
  auto engine = engine_;
  return PromiseWorker<EpochStats>::StartHolding(
      info.Env(), engine_->model_handle()->Acquire("train"),
      [engine, data, indices, weak, options] { return engine->RunStep(*data, indices, weak, options); },
      [](Napi::Env env, EpochStats& s) -> Napi::Value { return EpochStatsToJs(env, s); });
}

// evaluate(dataset, batchSize, predictions?) -> Promise<{ examples, loss, error, classExamples, classErrors, predictions? }>
// (per label: examples, misclassified; with `predictions`, each example's argmax label as an Int32Array)
Napi::Value EngineWrap::Evaluate(const Napi::CallbackInfo& info) {
  auto data = DatasetWrap::FromJs(info[0], "evaluation data");
  const int64_t batch = IntArg(info, 1, "evaluation batch size");
  if (batch < 1) throw UserError("evaluation batch size must be >= 1, got " + std::to_string(batch));
  const bool predictions = info.Length() > 2 && info[2].ToBoolean().Value();
  auto engine = engine_;
  return PromiseWorker<EvalStats>::StartHolding(
      info.Env(), engine_->model_handle()->Acquire("evaluate"),
      [engine, data, batch, predictions] { return engine->Evaluate(*data, batch, predictions); },
      [](Napi::Env env, EvalStats& s) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("examples", static_cast<double>(s.examples));
        out.Set("loss", s.loss);
        out.Set("error", s.error);
        auto examples = Napi::Array::New(env, s.class_examples.size()), errors = Napi::Array::New(env, s.class_errors.size());
        for (size_t k = 0; k < s.class_examples.size(); ++k) examples.Set(k, s.class_examples[k]), errors.Set(k, s.class_errors[k]);
        out.Set("classExamples", examples);
        out.Set("classErrors", errors);
        if (!s.predictions.empty()) {
          auto labels = Napi::Int32Array::New(env, s.predictions.size());
          std::copy(s.predictions.begin(), s.predictions.end(), labels.Data());
          out.Set("predictions", labels);
        }
        return out;
      });
}

// samAscend(dataset, indices, rho): synchronous; small batches only (tests, analyses).
Napi::Value EngineWrap::SamAscend(const Napi::CallbackInfo& info) {
  auto data = DatasetWrap::FromJs(info[0], "data");
  auto indices = IndicesArg(info[1], "indices", data->size());
  const double rho = NumberArg(info, 2, "rho");
  if (rho < 0) throw UserError("rho must be >= 0, got " + std::to_string(rho));
  auto busy = engine_->model_handle()->Acquire("take a SAM ascent step");
  engine_->SamAscendOn(*data, indices, rho);
  return info.Env().Undefined();
}

// features(dataset, indices) -> Promise<Tensor [B, featureDim]>
Napi::Value EngineWrap::Features(const Napi::CallbackInfo& info) {
  auto data = DatasetWrap::FromJs(info[0], "data");
  auto indices = IndicesArg(info[1], "indices", data->size());
  auto engine = engine_;
  return PromiseWorker<torch::Tensor>::StartHolding(
      info.Env(), engine_->model_handle()->Acquire("compute features"),
      [engine, data, indices] { return engine->FeaturesOf(*data, indices); },
      [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return TensorWrap::New(env, t); });
}

// joinProcessGroup(processGroup) -> Promise<void>: every rank calls it; all take rank 0's weights.
Napi::Value EngineWrap::JoinProcessGroup(const Napi::CallbackInfo& info) {
  auto communicator = ProcessGroupWrap::FromJs(info[0]);
  engine_->model_handle()->CheckIdle("join a process group");
  auto engine = engine_;
  return PromiseWorker<bool>::Start(
      info.Env(), [engine, communicator]() { engine->JoinProcessGroup(communicator); return true; },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

Napi::Value EngineWrap::Cancel(const Napi::CallbackInfo& info) {
  engine_->RequestCancel();
  return info.Env().Undefined();
}

// optimizerState() -> [{ name, shape, dtype, data }]: the momentum buffers, host copies.
Napi::Value EngineWrap::OptimizerState(const Napi::CallbackInfo& info) {
  engine_->model_handle()->CheckIdle("read the optimizer state");
  return NamedTensorsToJs(info.Env(), engine_->MomentumBuffers());
}

// setOptimizerState([{ name, shape, data }]): one buffer per parameter the optimizer updates.
Napi::Value EngineWrap::SetOptimizerState(const Napi::CallbackInfo& info) {
  auto busy = engine_->model_handle()->Acquire("set the optimizer state");
  engine_->SetMomentumBuffers(NamedTensorsFromJs(info[0], "optimizer state"));
  return info.Env().Undefined();
}

// rngState() -> Uint8Array
Napi::Value EngineWrap::RngState(const Napi::CallbackInfo& info) {
  engine_->model_handle()->CheckIdle("read the generator state");
  return TypedArrayFromTensor(info.Env(), engine_->GeneratorState());
}

// A Uint8Array argument as a 1-D uint8 tensor over its bytes.
static torch::Tensor GeneratorStateFromJs(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw UserError("generator state must be a Uint8Array");
  }
  auto array = value.As<Napi::TypedArray>();
  return TensorFromTypedArray(array, {static_cast<int64_t>(array.ElementLength())}, "the RNG state");
}

// setRngState(Uint8Array): a state from rngState() of an engine on the same kind of device.
Napi::Value EngineWrap::SetRngState(const Napi::CallbackInfo& info) {
  auto busy = engine_->model_handle()->Acquire("set the generator state");
  engine_->SetGeneratorState(GeneratorStateFromJs(info[0]));
  return info.Env().Undefined();
}

// checkRngState(Uint8Array): throws a CheckpointError unless setRngState would take it; changes nothing.
Napi::Value EngineWrap::CheckRngState(const Napi::CallbackInfo& info) {
  engine_->CheckGeneratorState(GeneratorStateFromJs(info[0]));
  return info.Env().Undefined();
}

}  // namespace pof
