#include "engine/engine_wrap.h"
#include "async.h"
#include "data/dataset_wrap.h"
#include "js_args.h"
#include "models/model_wrap.h"
#include "tensor.h"

namespace pof {

namespace {

EpochOptions ParseEpochOptions(const Napi::Object& o) {
  EpochOptions e;
  const std::string method = StringField(o, "method");
  if (method == "sgd") e.method = Method::kSgd;
  else if (method == "sam") e.method = Method::kSam;
  else if (method == "pof") e.method = Method::kPof;
  else throw UserError("method '" + method + "' is unknown; expected 'sgd', 'sam' or 'pof'");
  e.batch_size = IntField(o, "batchSize", 256);
  if (e.batch_size < 1) throw UserError("batchSize must be >= 1, got " + std::to_string(e.batch_size));
  e.rho = NumberField(o, "rho", 0.05);
  e.gamma = NumberField(o, "gamma", 2.0);
  const std::string mode = StringField(o, "gammaMode", "fixed");
  if (mode == "fixed") e.gamma_mode = GammaMode::kFixed;
  else if (mode == "uniform") e.gamma_mode = GammaMode::kUniform;
  else if (mode == "linear") e.gamma_mode = GammaMode::kLinear;
  else throw UserError("gammaMode '" + mode + "' is unknown; expected 'fixed', 'uniform' or 'linear'");
  e.weak_batch_size = IntField(o, "weakBatchSize", e.batch_size);
  e.feature_reuse = BoolField(o, "featureReuse", false);
  if (e.feature_reuse && e.weak_batch_size != e.batch_size) {
    throw UserError("featureReuse takes B from the previous B~, so weakBatchSize (" + std::to_string(e.weak_batch_size) +
                    ") must equal batchSize (" + std::to_string(e.batch_size) + ") or be left out");
  }
  e.pof.line_search.initial_step = NumberField(o, "initialStep", 1.0);
  e.pof.line_search.max_step = NumberField(o, "maxStep", 100.0);
  e.pof.line_search.partitions = IntField(o, "partitions", 16);
  if (e.pof.line_search.initial_step <= 0 || e.pof.line_search.max_step <= e.pof.line_search.initial_step ||
      e.pof.line_search.partitions < 1) {
    throw UserError("line search needs 0 < initialStep < maxStep and partitions >= 1");
  }
  e.epoch = IntField(o, "epoch", 0);
  e.total_epochs = std::max<int64_t>(1, IntField(o, "totalEpochs", 1));
  e.report_every = IntField(o, "reportEvery", 0);
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
      SetError(DescribeCurrentException());
    }
    busy_.reset();
  }
  void OnProgress(const Progress* data, size_t count) override {
    Napi::HandleScope scope(Env());
    if (Callback().IsEmpty()) return;
    for (size_t i = 0; i < count; ++i) {
      auto stats = EpochStatsToJs(Env(), data[i].stats);
      stats.Set("step", static_cast<double>(data[i].step));
      stats.Set("stepsPerEpoch", static_cast<double>(data[i].steps));
      Callback().Call({stats});
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(EpochStatsToJs(Env(), result_));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Engine> engine_;
  std::shared_ptr<const DeviceDataset> data_;
  EpochOptions options_;
  std::shared_ptr<void> busy_;
  EpochStats result_;
};

}  // namespace

Napi::Function EngineWrap::Init(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {InstanceMethod<&EngineWrap::ConfigureOptimizer>("configureOptimizer"),
                      InstanceMethod<&EngineWrap::SetLearningRate>("setLearningRate"),
                      InstanceMethod<&EngineWrap::ConfigurePerformance>("configurePerformance"),
                      InstanceMethod<&EngineWrap::TrainEpoch>("trainEpoch"),
                      InstanceMethod<&EngineWrap::TrainStep>("trainStep"),
                      InstanceMethod<&EngineWrap::Evaluate>("evaluate"),
                      InstanceMethod<&EngineWrap::SamAscend>("samAscend"),
                      InstanceMethod<&EngineWrap::Features>("features"),
                      InstanceMethod<&EngineWrap::Cancel>("cancel"),
                      InstanceMethod<&EngineWrap::OptimizerState>("optimizerState"),
                      InstanceMethod<&EngineWrap::SetOptimizerState>("setOptimizerState"),
                      InstanceMethod<&EngineWrap::RngState>("rngState"),
                      InstanceMethod<&EngineWrap::SetRngState>("setRngState")});
}

// new Engine(model, seed)
EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  Guard(info.Env(), [&] {
    auto model = ModelWrap::FromJs(info[0]);
    if (!info[1].IsNumber()) throw UserError("engine seed must be a number");
    engine_ = std::make_shared<Engine>(model, static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()));
  });
}

// configureOptimizer({ featuresOnly, lr, momentum, weightDecay, nesterov })
Napi::Value EngineWrap::ConfigureOptimizer(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    engine_->model_handle()->CheckIdle("configure the optimizer");
    auto o = ObjectArg(info, 0, "optimizer options");
    SgdOptions s;
    s.lr = NumberField(o, "lr");
    s.momentum = NumberField(o, "momentum", 0.9);
    s.weight_decay = NumberField(o, "weightDecay", 5e-4);
    s.nesterov = BoolField(o, "nesterov", true);
    engine_->ConfigureOptimizer(BoolField(o, "featuresOnly", false), s);
    return info.Env().Undefined();
  });
}

Napi::Value EngineWrap::SetLearningRate(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    engine_->model_handle()->CheckIdle("change the learning rate");
    if (!info[0].IsNumber()) throw UserError("learning rate must be a number");
    engine_->SetLearningRate(info[0].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  });
}

// configurePerformance({ channelsLast, cudnnBenchmark, autocast: 'none' | 'bf16' })
Napi::Value EngineWrap::ConfigurePerformance(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    engine_->model_handle()->CheckIdle("change performance options");
    auto o = ObjectArg(info, 0, "performance options");
    PerformanceOptions p;
    p.channels_last = BoolField(o, "channelsLast", false);
    p.cudnn_benchmark = BoolField(o, "cudnnBenchmark", false);
    const std::string autocast = StringField(o, "autocast", "none");
    if (autocast == "bf16") p.autocast_bf16 = true;
    else if (autocast != "none") throw UserError("autocast '" + autocast + "' is unknown; expected 'none' or 'bf16'");
    engine_->ConfigurePerformance(p);
    return info.Env().Undefined();
  });
}

// trainEpoch(dataset, options, onProgress?) -> Promise<EpochStats>
Napi::Value EngineWrap::TrainEpoch(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
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
  });
}

// trainStep(dataset, indices, weakIndices | null, options) -> Promise<EpochStats>
Napi::Value EngineWrap::TrainStep(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto data = DatasetWrap::FromJs(info[0], "training data");
    auto indices = IndicesArg(info[1], "indices", data->size());
    auto options = ParseEpochOptions(ObjectArg(info, 3, "step options"));
    torch::Tensor weak;
    // Under feature reuse, B comes from the previous step after the first one.
    const bool weak_given = !(info[2].IsNull() || info[2].IsUndefined());
    if (options.method == Method::kPof && (weak_given || !options.feature_reuse)) {
      weak = IndicesArg(info[2], "weakIndices", data->size());
    }
    engine_->optimizer();
    auto busy = engine_->model_handle()->Acquire("train");
    auto engine = engine_;
    return PromiseWorker<EpochStats>::Start(
        info.Env(),
        [engine, data, indices, weak, options, busy]() mutable {
          auto stats = engine->RunStep(*data, indices, weak, options);
          busy.reset();
          return stats;
        },
        [](Napi::Env env, EpochStats& s) -> Napi::Value { return EpochStatsToJs(env, s); });
  });
}

// evaluate(dataset, batchSize) -> Promise<{ examples, loss, error }>
Napi::Value EngineWrap::Evaluate(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto data = DatasetWrap::FromJs(info[0], "evaluation data");
    const int64_t batch = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 1024;
    if (batch < 1) throw UserError("evaluation batch size must be >= 1");
    auto busy = engine_->model_handle()->Acquire("evaluate");
    auto engine = engine_;
    return PromiseWorker<EvalStats>::Start(
        info.Env(),
        [engine, data, batch, busy]() mutable {
          auto stats = engine->Evaluate(*data, batch);
          busy.reset();
          return stats;
        },
        [](Napi::Env env, EvalStats& s) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("examples", static_cast<double>(s.examples));
          out.Set("loss", s.loss);
          out.Set("error", s.error);
          return out;
        });
  });
}

// samAscend(dataset, indices, rho): synchronous; small batches only (tests, analyses).
Napi::Value EngineWrap::SamAscend(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto data = DatasetWrap::FromJs(info[0], "data");
    auto indices = IndicesArg(info[1], "indices", data->size());
    if (!info[2].IsNumber()) throw UserError("rho must be a number");
    auto busy = engine_->model_handle()->Acquire("take a SAM ascent step");
    engine_->SamAscendOn(*data, indices, info[2].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  });
}

// features(dataset, indices) -> Promise<Tensor [B, featureDim]>
Napi::Value EngineWrap::Features(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto data = DatasetWrap::FromJs(info[0], "data");
    auto indices = IndicesArg(info[1], "indices", data->size());
    auto busy = engine_->model_handle()->Acquire("compute features");
    auto engine = engine_;
    return PromiseWorker<torch::Tensor>::Start(
        info.Env(),
        [engine, data, indices, busy]() mutable {
          auto features = engine->FeaturesOf(*data, indices);
          busy.reset();
          return features;
        },
        [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return TensorWrap::New(env, t); });
  });
}

Napi::Value EngineWrap::Cancel(const Napi::CallbackInfo& info) {
  engine_->RequestCancel();
  return info.Env().Undefined();
}

// optimizerState() -> [{ name, shape, dtype, data }]: the momentum buffers, host copies.
Napi::Value EngineWrap::OptimizerState(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    engine_->model_handle()->CheckIdle("read the optimizer state");
    return NamedTensorsToJs(info.Env(), engine_->MomentumBuffers());
  });
}

// setOptimizerState([{ name, shape, data }]): one buffer per parameter the optimizer updates.
Napi::Value EngineWrap::SetOptimizerState(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto busy = engine_->model_handle()->Acquire("set the optimizer state");
    engine_->SetMomentumBuffers(NamedTensorsFromJs(info[0], "optimizer state"));
    return info.Env().Undefined();
  });
}

// rngState() -> Uint8Array
Napi::Value EngineWrap::RngState(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    engine_->model_handle()->CheckIdle("read the generator state");
    return TypedArrayFromTensor(info.Env(), engine_->GeneratorState());
  });
}

// setRngState(Uint8Array): a state from rngState() of an engine on the same kind of device.
Napi::Value EngineWrap::SetRngState(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto busy = engine_->model_handle()->Acquire("set the generator state");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw UserError("generator state must be a Uint8Array");
    }
    auto array = info[0].As<Napi::TypedArray>();
    engine_->SetGeneratorState(TensorFromTypedArray(array, {static_cast<int64_t>(array.ElementLength())}));
    return info.Env().Undefined();
  });
}

}  // namespace pof
