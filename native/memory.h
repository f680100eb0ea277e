// What a device can hold, so that a size is refused before it is allocated: an allocation the machine
// cannot back fails late or gets the process killed (Linux overcommits) instead of failing cleanly.
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <optional>
#include <string>

namespace pof {

// CPU: the physical memory, or the cgroup's limit when lower; CUDA: the device's free memory when the
// build has the CUDA runtime headers. Nothing when unknown (then only the allocation itself can fail).
std::optional<int64_t> DeviceMemoryBytes(const torch::Device& device);

// A DeviceError when `bytes` (an estimate) exceed what the device has: "<what> needs about 16.0 GB but
// cpu has 24.0 GB; <lower>".
void CheckFitsDevice(double bytes, const torch::Device& device, const std::string& what, const std::string& lower);

// exports.deviceMemory(device) -> bytes | null: what lib/memory-budget.ts compares its estimates with.
void InitMemory(Napi::Env env, Napi::Object exports);

}  // namespace pof
