#pragma once
#include <napi.h>

namespace pof {
// exports.analysis: parameterLayout, lossAndGradient, hessianVectorProduct, hessianTopK, lossAlong,
// miniBatchStats. Every call but parameterLayout runs off the main thread and returns a Promise.
void InitHessian(Napi::Env env, Napi::Object exports);
}
