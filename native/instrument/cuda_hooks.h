// The few CUDA runtime controls pof-torch uses, available only when the addon was built against a
// CUDA LibTorch whose CUDA headers are present; elsewhere they report that they are unavailable.
#pragma once
#include <cstdint>
#include <torch/torch.h>

namespace pof {

bool CudaHooksAvailable();
// c10's sync-debug mode: 0 off, 1 warn, 2 error. Returns the previous mode (0 when unavailable).
int SetCudaSyncDebugMode(int mode);
// Peak bytes allocated by the caching allocator on this device since the last reset (-1 when unavailable).
int64_t CudaPeakAllocatedBytes(const torch::Device& device);
void ResetCudaPeak(const torch::Device& device);
// The device's free memory in bytes, as the CUDA runtime reports it (-1 when unavailable).
int64_t CudaFreeBytes(const torch::Device& device);

}  // namespace pof
