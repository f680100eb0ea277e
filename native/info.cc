// Versions, devices and the global seed.
#include "info.h"
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/headeronly/version.h>
#include "device.h"
#include "distributed/communicator.h"
#include "js_args.h"
#include "models/exported/exported_network.h"
#include "register.h"
#include "instrument/cuda_hooks.h"

namespace pof {

namespace {

std::string VersionString(long v, long major_div, long minor_div) {
  // CUDA 12040 -> 12.4 ; cuDNN 90100 -> 9.1.0. Built by appending: a chain of operator+ on temporaries draws
  // gcc 12's false -Wstringop-overflow from libstdc++ under C++20.
  std::string out = std::to_string(v / major_div);
  out += '.';
  out += std::to_string((v % major_div) / minor_div);
  if (minor_div > 1 && major_div == 10000) {
    out += '.';
    out += std::to_string(v % minor_div);
  }
  return out;
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("libtorch", TORCH_VERSION);
  out.Set("exportSchema", std::to_string(kExportSchemaMajor) + ".x");
  out.Set("builtWithCuda", BuiltWithCuda());
  out.Set("cudaInstrumentation", CudaHooksAvailable());
  auto distributed = Napi::Object::New(env);  // which c10d backends this build has
  distributed.Set("gloo", DistributedAvailable());
  distributed.Set("nccl", NcclAvailable());
  out.Set("distributed", distributed);
  const auto& hooks = at::detail::getCUDAHooks();
  out.Set("cuda", hooks.hasCUDART() ? Napi::Value(Napi::String::New(env, VersionString(hooks.versionCUDART(), 1000, 10)))
                                    : env.Null());
  out.Set("cudnn", hooks.hasCuDNN() ? Napi::Value(Napi::String::New(env, VersionString(hooks.versionCuDNN(), 10000, 100)))
                                    : env.Null());
  return out;
}

Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  const int64_t seed = IntArg(info, 0, "seed");
  if (seed < 0) throw UserError("seed must be >= 0, got " + std::to_string(seed));
  torch::manual_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

// numThreads(n?): sets LibTorch's intra-op threads when n is given (1..kMaxThreads); returns the count.
constexpr int64_t kMaxThreads = 4096;
Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    const int64_t n = IntArg(info, 0, "numThreads' argument");
    if (n < 1 || n > kMaxThreads) {
      throw UserError("numThreads must be an integer in 1.." + std::to_string(kMaxThreads) + ", got " + std::to_string(n));
    }
    torch::set_num_threads(static_cast<int>(n));
  }
  return Napi::Number::New(info.Env(), torch::get_num_threads());
}

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  ExportFunction<Versions>(env, exports, "versions");
  ExportFunction<CudaAvailable>(env, exports, "cudaAvailable");
  ExportFunction<CudaDeviceCount>(env, exports, "cudaDeviceCount");
  ExportFunction<ManualSeed>(env, exports, "manualSeed");
  ExportFunction<NumThreads>(env, exports, "numThreads");
}

}  // namespace pof
