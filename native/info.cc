// Versions, devices and the global seed.
#include "info.h"
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/headeronly/version.h>
#include "device.h"
#include "errors.h"
#include "instrument/cuda_hooks.h"

namespace pof {

namespace {

std::string VersionString(long v, long major_div, long minor_div) {
  // CUDA 12040 -> 12.4 ; cuDNN 90100 -> 9.1.0
  return std::to_string(v / major_div) + "." + std::to_string((v % major_div) / minor_div) +
         (minor_div > 1 && major_div == 10000 ? "." + std::to_string(v % minor_div) : "");
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto env = info.Env();
    auto out = Napi::Object::New(env);
    out.Set("libtorch", TORCH_VERSION);
    out.Set("builtWithCuda", BuiltWithCuda());
    out.Set("cudaInstrumentation", CudaHooksAvailable());
    const auto& hooks = at::detail::getCUDAHooks();
    out.Set("cuda", hooks.hasCUDART() ? Napi::Value(Napi::String::New(env, VersionString(hooks.versionCUDART(), 1000, 10)))
                                      : env.Null());
    out.Set("cudnn", hooks.hasCuDNN() ? Napi::Value(Napi::String::New(env, VersionString(hooks.versionCuDNN(), 10000, 100)))
                                      : env.Null());
    return out;
  });
}

Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsNumber()) throw UserError("seed must be a number");
    torch::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
    return info.Env().Undefined();
  });
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) torch::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), torch::get_num_threads());
}

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("versions", Napi::Function::New<Versions>(env));
  exports.Set("cudaAvailable", Napi::Function::New<CudaAvailable>(env));
  exports.Set("cudaDeviceCount", Napi::Function::New<CudaDeviceCount>(env));
  exports.Set("manualSeed", Napi::Function::New<ManualSeed>(env));
  exports.Set("numThreads", Napi::Function::New<NumThreads>(env));
}

}  // namespace pof
