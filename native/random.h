// Generators owned by pof-torch (not LibTorch's global ones), on the device they drive.
#pragma once
#include <torch/torch.h>

namespace pof {
at::Generator MakeGenerator(const torch::Device& device, uint64_t seed);
}
