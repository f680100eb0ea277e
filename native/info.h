#pragma once
#include <napi.h>

namespace pof {
void InitInfo(Napi::Env env, Napi::Object exports);
}
