// Instruments for tests and the benchmark: the host-sync counter, the op profiler, CUDA peak memory.
#include "instrument/instrument_wrap.h"
#include "device.h"
#include "register.h"
#include "instrument/cuda_hooks.h"
#include "instrument/host_syncs.h"
#include "instrument/op_profile.h"

namespace pof {

namespace {

Napi::Value WatchHostSyncsJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsBoolean()) throw UserError("watchHostSyncs expects true or false");
  WatchHostSyncs(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value HostSyncCountJs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(HostSyncCount()));
}

Napi::Value StartOpProfileJs(const Napi::CallbackInfo& info) {
  StartOpProfile();
  return info.Env().Undefined();
}

Napi::Value StopOpProfileJs(const Napi::CallbackInfo& info) {
  const OpProfile profile = StopOpProfile();
  auto env = info.Env();
  auto ops = Napi::Array::New(env, profile.ops.size());
  for (size_t i = 0; i < profile.ops.size(); ++i) {
    const auto& op = profile.ops[i];
    auto row = Napi::Object::New(env);
    row.Set("name", op.name);
    row.Set("calls", static_cast<double>(op.calls));
    row.Set("selfMs", op.self_ms);
    row.Set("totalMs", op.total_ms);
    ops.Set(static_cast<uint32_t>(i), row);
  }
  auto out = Napi::Object::New(env);
  out.Set("wallMs", profile.wall_ms);
  out.Set("ops", ops);
  return out;
}

// cudaPeakMemory(device, reset): peak bytes the caching allocator handed out, or null off CUDA.
Napi::Value CudaPeakMemoryJs(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw UserError("cudaPeakMemory expects a device name");
  const auto device = ParseDevice(info[0].As<Napi::String>().Utf8Value());
  const bool reset = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  if (!device.is_cuda() || !CudaHooksAvailable()) return info.Env().Null();
  const int64_t peak = CudaPeakAllocatedBytes(device);
  if (reset) ResetCudaPeak(device);
  return Napi::Number::New(info.Env(), static_cast<double>(peak));
}

}  // namespace

void InitInstruments(Napi::Env env, Napi::Object exports) {
  ExportFunction<WatchHostSyncsJs>(env, exports, "watchHostSyncs");
  ExportFunction<HostSyncCountJs>(env, exports, "hostSyncCount");
  ExportFunction<StartOpProfileJs>(env, exports, "startOpProfile");
  ExportFunction<StopOpProfileJs>(env, exports, "stopOpProfile");
  ExportFunction<CudaPeakMemoryJs>(env, exports, "cudaPeakMemory");
}

}  // namespace pof
