#include "memory.h"
#include <unistd.h>
#include <fstream>
#include "device.h"
#include "errors.h"
#include "instrument/cuda_hooks.h"
#include "js_args.h"
#include "register.h"

namespace pof {

namespace {

// The cgroup v2 memory limit of this process ("max", or no cgroup v2: none).
std::optional<int64_t> CgroupLimit() {
  std::ifstream file("/sys/fs/cgroup/memory.max");
  long long limit = 0;
  if (file >> limit && limit > 0) return static_cast<int64_t>(limit);
  return std::nullopt;
}

Napi::Value DeviceMemory(const Napi::CallbackInfo& info) {
  const auto bytes = DeviceMemoryBytes(ParseDevice(StringArg(info, 0, "device")));
  if (!bytes) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(*bytes));
}

}  // namespace

std::optional<int64_t> DeviceMemoryBytes(const torch::Device& device) {
  if (device.is_cuda()) {
    const int64_t free = CudaFreeBytes(device);
    return free >= 0 ? std::optional<int64_t>(free) : std::nullopt;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::nullopt;
  const int64_t physical = static_cast<int64_t>(pages) * page;
  const auto limit = CgroupLimit();
  return limit && *limit < physical ? *limit : physical;
}

void CheckFitsDevice(double bytes, const torch::Device& device, const std::string& what, const std::string& lower) {
  const auto have = DeviceMemoryBytes(device);
  if (!have || bytes <= static_cast<double>(*have)) return;
  throw UserError(what + " needs about " + FormatBytes(bytes) + " but " + DeviceName(device) + " has " +
                      FormatBytes(static_cast<double>(*have)) + (device.is_cuda() ? " free" : "") + "; " + lower,
                  ErrorKind::kDevice);
}

void InitMemory(Napi::Env env, Napi::Object exports) { ExportFunction<DeviceMemory>(env, exports, "deviceMemory"); }

}  // namespace pof
