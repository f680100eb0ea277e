#pragma once
#include <napi.h>

namespace pof {
// lineSearch(features, labels, weight, bias, { initialStep, maxStep, partitions }): PoF's xi* for one batch.
void InitLineSearch(Napi::Env env, Napi::Object exports);
}
