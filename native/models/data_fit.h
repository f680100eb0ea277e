// Whether a dataset can go through a model: the same device, at least one example, the example shape
// the model takes and labels below its class count. Checked before any work, so that LibTorch's own
// words ("mat1 and mat2 shapes cannot be multiplied", "Target 17 is out of bounds") never reach users.
#pragma once
#include <string>
#include "data/dataset.h"
#include "models/model_handle.h"

namespace pof {

// Why examples of this kind and shape, labels up to max_label, cannot go through the network, worded to follow
// the data's name ("has examples of shape [100] (100 values), but the model mlp (...) takes 784 values per
// example"), or "" when they can. Model.dataMismatch gives lib/data-fit.ts the same words.
std::string DataMismatch(const Network& network, InputKind kind, c10::IntArrayRef example_shape, int64_t max_label);

// `what` names the data in the error ("training data", "evaluation data", ...).
void CheckDataFits(const DeviceDataset& data, const ModelHandle& model, const std::string& what);

}  // namespace pof
