// The JS Engine class: training epochs, single steps and evaluation, each a Promise resolved off the
// main thread, with progress every N steps and cancellation at the next step.
#pragma once
#include <napi.h>
#include <memory>
#include "engine/engine.h"
#include "register.h"

namespace pof {

class EngineWrap : public GuardedObjectWrap<EngineWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit EngineWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info);
  Napi::Value SetLearningRate(const Napi::CallbackInfo& info);
  Napi::Value ConfigurePerformance(const Napi::CallbackInfo& info);
  Napi::Value TrainEpoch(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value SamAscend(const Napi::CallbackInfo& info);
  Napi::Value Features(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value OptimizerState(const Napi::CallbackInfo& info);
  Napi::Value SetOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value RngState(const Napi::CallbackInfo& info);
  Napi::Value SetRngState(const Napi::CallbackInfo& info);
  Napi::Value CheckRngState(const Napi::CallbackInfo& info);
  Napi::Value JoinProcessGroup(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  // Tells V8 how much native memory the optimizer state holds, so that it collects dropped engines in time.
  void ReportOptimizerMemory(Napi::Env env, int64_t bytes);
  std::shared_ptr<Engine> engine_;
  int64_t external_bytes_ = 0;
};

}  // namespace pof
