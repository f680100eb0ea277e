#include "random.h"
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>

namespace pof {

at::Generator MakeGenerator(const torch::Device& device, uint64_t seed) {
  if (device.is_cuda()) {
    auto generator = at::detail::getCUDAHooks().getNewGenerator(device.index());
    generator.set_current_seed(seed);
    return generator;
  }
  return at::detail::createCPUGenerator(seed);
}

}  // namespace pof
