#include "instrument/host_syncs.h"
#include <ATen/record_function.h>
#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include "instrument/cuda_hooks.h"

namespace pof {

namespace {

std::atomic<int64_t> sync_count{0};
std::atomic<bool> watching{false};
std::mutex watch_mutex;
std::optional<at::CallbackHandle> watch_handle;
constexpr int kSyncDebugError = 2;

bool ReadsDeviceValues(const char* name) {
  static const char* const kNames[] = {"aten::_local_scalar_dense", "aten::nonzero", "aten::masked_select",
                                       "aten::_unique", "aten::_unique2", "aten::unique_dim",
                                       "aten::unique_consecutive", "aten::equal"};
  for (const char* n : kNames) {
    if (std::strcmp(name, n) == 0) return true;
  }
  return false;
}

bool CopiesAcrossDevices(const at::RecordFunction& fn) {
  if (std::strcmp(fn.name(), "aten::copy_") != 0) return false;
  const auto inputs = fn.inputs();
  return inputs.size() >= 2 && inputs[0].isTensor() && inputs[1].isTensor() &&
         inputs[0].toTensor().device().type() != inputs[1].toTensor().device().type();
}

std::unique_ptr<at::ObserverContext> OnOpStart(const at::RecordFunction& fn) {
  if (ReadsDeviceValues(fn.name()) || CopiesAcrossDevices(fn)) sync_count.fetch_add(1);
  return nullptr;
}

}  // namespace

void WatchHostSyncs(bool on) {
  std::lock_guard<std::mutex> lock(watch_mutex);
  if (on && !watch_handle) {
    watch_handle = at::addGlobalCallback(at::RecordFunctionCallback(&OnOpStart).needsInputs(true));
    SetCudaSyncDebugMode(kSyncDebugError);
  } else if (!on && watch_handle) {
    at::removeCallback(*watch_handle);
    watch_handle.reset();
    SetCudaSyncDebugMode(0);
  }
  watching = on;
}

int64_t HostSyncCount() { return sync_count.load(); }

IntendedHostSync::IntendedHostSync() : previous_(watching ? SetCudaSyncDebugMode(0) : 0) {}
IntendedHostSync::~IntendedHostSync() {
  if (watching) SetCudaSyncDebugMode(previous_);
}

}  // namespace pof
