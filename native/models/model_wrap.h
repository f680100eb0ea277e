// The JS Model class: builds an MLP or WideResNet, exposes its parameter groups and state.
#pragma once
#include <napi.h>
#include "models/model_handle.h"

namespace pof {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static std::shared_ptr<ModelHandle> FromJs(const Napi::Value& value);
  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value StateDict(const Napi::CallbackInfo& info);
  Napi::Value StateShapes(const Napi::CallbackInfo& info);
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info);
  Napi::Value ParameterNames(const Napi::CallbackInfo& info);
  std::shared_ptr<ModelHandle> handle_;
};

}  // namespace pof
