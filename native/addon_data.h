// Per-environment constructors of the wrapped classes (the addon is context aware: one set per env).
#pragma once
#include <napi.h>
#include <map>
#include <string>

namespace pof {

struct AddonData {
  Napi::FunctionReference tensor;
  Napi::FunctionReference model;
  Napi::FunctionReference dataset;
  Napi::FunctionReference process_group;
  // The JS error class of each code (lib/errors.ts, given by setErrorClasses): native errors are made with them.
  std::map<std::string, Napi::FunctionReference> error_classes;
};

inline AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace pof
