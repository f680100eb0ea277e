#pragma once
#include <napi.h>
#include "optim/line_search.h"

namespace pof {
// lineSearch(features, labels, weight, bias, { initialStep, maxStep, partitions }): PoF's xi* for one batch.
void InitLineSearch(Napi::Env env, Napi::Object exports);
}  // namespace pof
