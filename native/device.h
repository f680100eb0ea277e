// Device names ("cpu", "cuda", "cuda:N") parsed and checked against what this LibTorch can do.
#pragma once
#include <torch/torch.h>
#include <string>

namespace pof {

// Throws a UserError naming the device and what is available when it cannot be used.
torch::Device ParseDevice(const std::string& name);
std::string DeviceName(const torch::Device& device);
bool BuiltWithCuda();

}  // namespace pof
