// A named subset of a model's parameters (the classifier, the features, one layer, a list of names)
// and the flat vector layout the Hessian analyses use for it: parameters in state-dict order, each
// flattened row-major and concatenated.
#pragma once
#include <torch/torch.h>
#include <string>
#include <vector>
#include "models/network.h"

namespace pof {

struct ParameterSubset {
  std::vector<std::string> names;
  std::vector<torch::Tensor> parameters;  // the model's own tensors (shared storage)
  int64_t numel = 0;
  bool classifier_only = false;           // every member belongs to the classifier

  // Concatenates per-parameter tensors (undefined: zeros) into one flat vector of `dtype`.
  torch::Tensor Flatten(const std::vector<torch::Tensor>& parts, torch::Dtype dtype) const;
  // Splits a flat vector into tensors shaped, typed and placed like the parameters.
  std::vector<torch::Tensor> Unflatten(const torch::Tensor& flat) const;
  // The current parameter values as one flat vector.
  torch::Tensor Values(torch::Dtype dtype) const;
};

// Each selector is 'classifier', 'features', 'all', a module prefix ('layers.3', 'classifiers.0') or a
// parameter name ('layers.3.weight'); the subset is their union. Unknown selectors throw a UserError
// that lists the valid ones.
ParameterSubset SelectParameters(const Network& network, const std::vector<std::string>& selectors);

}  // namespace pof
