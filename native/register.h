// The one way entry points reach JS: every function and method is registered through these wrappers,
// which run it under Guard, so no C++ exception can escape to Node (it would abort the process) and
// every error carries its code. (NODE_ADDON_API_CPP_EXCEPTIONS_ALL is the net behind it, for
// constructors and anything else node-addon-api calls directly.)
#pragma once
#include <napi.h>
#include "errors.h"

namespace pof {

using NativeFunction = Napi::Value (*)(const Napi::CallbackInfo&);

template <NativeFunction Fn>
Napi::Value GuardedCall(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&] { return Fn(info); });
}

// exports[name] = Fn, guarded.
template <NativeFunction Fn>
void ExportFunction(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<GuardedCall<Fn>>(env, name));
}

// Base of every wrapped class: JsMethod<&T::M>("name") and Getter<&T::G>("name") register guarded members
// (JsMethod: a method of the JS class, not a training method).
template <typename T>
class GuardedObjectWrap : public Napi::ObjectWrap<T> {
 public:
  using Base = Napi::ObjectWrap<T>;
  using Member = Napi::Value (T::*)(const Napi::CallbackInfo&);
  using Base::Base;

 protected:
  // Configurable, so that lib/native-receivers.ts can guard them against another receiver.
  template <Member M>
  static typename Base::PropertyDescriptor JsMethod(const char* name) {
    return Base::InstanceMethod(name, static_cast<typename Base::InstanceMethodCallback>(&GuardedObjectWrap::Call<M>),
                                static_cast<napi_property_attributes>(napi_writable | napi_configurable));
  }
  template <Member M>
  static typename Base::PropertyDescriptor Getter(const char* name) {
    return Base::InstanceAccessor(name, static_cast<typename Base::InstanceGetterCallback>(&GuardedObjectWrap::Call<M>),
                                  nullptr, napi_configurable);
  }
  // Constructors cannot be wrapped from outside: their bodies run under this.
  template <typename Fn>
  static void Construct(const Napi::CallbackInfo& info, Fn&& fn) {
    Guard(info.Env(), std::forward<Fn>(fn));
  }

 private:
  template <Member M>
  Napi::Value Call(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), [&] { return (static_cast<T*>(this)->*M)(info); });
  }
};

}  // namespace pof
