#include "device.h"
#include "errors.h"

namespace pof {

bool BuiltWithCuda() {
#ifdef POF_WITH_CUDA
  return true;
#else
  return false;
#endif
}

torch::Device ParseDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw UserError("device '" + name + "' was requested, but " +
                      (BuiltWithCuda() ? "no CUDA device is visible to this process"
                                       : "this pof-torch addon was built against a CPU-only LibTorch") +
                      "; expected 'cpu'", ErrorKind::kDevice);
    }
    int index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
        throw UserError("device '" + name + "' is not a device name; expected 'cpu', 'cuda' or 'cuda:N'", ErrorKind::kDevice);
      }
      if (digits.size() > 4) throw UserError("device '" + name + "' does not exist", ErrorKind::kDevice);
      index = std::stoi(digits);
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw UserError("device '" + name + "' does not exist: " + std::to_string(count) +
                      " CUDA device(s) visible, expected cuda:0..cuda:" + std::to_string(count - 1), ErrorKind::kDevice);
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw UserError("device '" + name + "' is not a device name; expected 'cpu', 'cuda' or 'cuda:N'", ErrorKind::kDevice);
}

std::string DeviceName(const torch::Device& device) {
  if (device.is_cpu()) return "cpu";
  return device.str();
}

}  // namespace pof
