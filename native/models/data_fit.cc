#include "models/data_fit.h"
#include "device.h"
#include "errors.h"

namespace pof {

void CheckDataFits(const DeviceDataset& data, const ModelHandle& handle, const std::string& what) {
  const auto& model = handle.Get();
  if (data.inputs.device() != handle.device) {
    throw UserError(what + " is on " + DeviceName(data.inputs.device()) + " but the model on " + DeviceName(handle.device) +
                        "; create the dataset on the model's device",
                    ErrorKind::kDevice);
  }
  if (data.size() == 0) throw UserError(what + " has no examples; expected at least one", ErrorKind::kDataset);
  const std::string shape = model.InputMismatch(data.inputs.sizes().slice(1));
  if (!shape.empty()) throw UserError(what + " does not fit the model: " + shape, ErrorKind::kDataset);
  if (data.max_label >= model.num_classes()) {
    throw UserError(what + " has labels up to " + std::to_string(data.max_label) + " but the model has " +
                        std::to_string(model.num_classes()) + " classes (labels 0.." + std::to_string(model.num_classes() - 1) +
                        ")",
                    ErrorKind::kDataset);
  }
}

}  // namespace pof
