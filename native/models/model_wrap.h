// The JS Model class: builds an MLP or WideResNet, exposes its parameter groups and state.
#pragma once
#include <napi.h>
#include "models/model_handle.h"
#include "register.h"

namespace pof {

class ModelWrap : public GuardedObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static std::shared_ptr<ModelHandle> FromJs(const Napi::Value& value);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value StateDict(const Napi::CallbackInfo& info);
  Napi::Value StateShapes(const Napi::CallbackInfo& info);
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info);
  Napi::Value ParameterNames(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value TorchScriptBytes(const Napi::CallbackInfo& info);
  Napi::Value ProgramBytes(const Napi::CallbackInfo& info);
  Napi::Value DataMismatch(const Napi::CallbackInfo& info);
  Napi::Value ProbeTraining(const Napi::CallbackInfo& info);
  std::shared_ptr<ModelHandle> handle_;
  int64_t external_bytes_ = 0;  // reported to V8 so that it collects dropped models in time
};

}  // namespace pof
