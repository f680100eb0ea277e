// Per-environment constructors of the wrapped classes (the addon is context aware: one set per env).
#pragma once
#include <napi.h>

namespace pof {

struct AddonData {
  Napi::FunctionReference tensor;
  Napi::FunctionReference model;
  Napi::FunctionReference dataset;
};

inline AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace pof
