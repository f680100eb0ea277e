#pragma once
#include <napi.h>

namespace pof {
// watchHostSyncs(on), hostSyncCount(), startOpProfile(), stopOpProfile(), cudaPeakMemory(device, reset?).
void InitInstruments(Napi::Env env, Napi::Object exports);
}
