// The training methods by the name JS gives them: the epoch options' `method` names one, and that
// method's own parser reads its own fields (lib/defaults.ts NativeEpochSettings, a union on `method`).
#pragma once
#include <napi.h>
#include <memory>
#include "optim/training_method.h"

namespace pof {

struct ParsedMethod {
  std::shared_ptr<const MethodOptions> options;
  int64_t index;  // the method's place in the list: the ranks of a job check that they run the same one
};

// `o`: the epoch options, { method, ...that method's fields }.
ParsedMethod ParseMethodOptions(const Napi::Object& o);

}  // namespace pof
