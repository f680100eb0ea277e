#include "instrument/cuda_hooks.h"

#if defined(POF_WITH_CUDA) && __has_include(<c10/cuda/CUDAFunctions.h>) && __has_include(<cuda_runtime_api.h>) && \
    __has_include(<crt/host_config.h>)
#define POF_CUDA_HOOKS 1
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#endif

namespace pof {

#ifdef POF_CUDA_HOOKS

bool CudaHooksAvailable() { return true; }

int SetCudaSyncDebugMode(int mode) {
  auto& state = c10::cuda::warning_state();
  const int previous = static_cast<int>(state.get_sync_debug_mode());
  state.set_sync_debug_mode(static_cast<c10::cuda::SyncDebugMode>(mode));
  return previous;
}

int64_t CudaPeakAllocatedBytes(const torch::Device& device) {
  if (!device.is_cuda()) return -1;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index());
  return stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
}

void ResetCudaPeak(const torch::Device& device) {
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
}

int64_t CudaFreeBytes(const torch::Device& device) {
  if (!device.is_cuda()) return -1;
  c10::cuda::CUDAGuard guard(device.index() < 0 ? 0 : device.index());
  size_t free = 0, total = 0;
  return cudaMemGetInfo(&free, &total) == cudaSuccess ? static_cast<int64_t>(free) : -1;
}

#else

bool CudaHooksAvailable() { return false; }
int SetCudaSyncDebugMode(int) { return 0; }
int64_t CudaPeakAllocatedBytes(const torch::Device&) { return -1; }
void ResetCudaPeak(const torch::Device&) {}
int64_t CudaFreeBytes(const torch::Device&) { return -1; }

#endif

}  // namespace pof
