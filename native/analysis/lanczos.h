// Top-k eigenpairs (largest algebraic eigenvalues) of a symmetric linear operator given only as
// products v -> A v: Lanczos with full reorthogonalisation. Vectors, the basis and the tridiagonal
// matrix are float64, so the method adds no error of its own beyond the operator's. Memory: the
// basis, iterations x n float64.
#pragma once
#include <torch/torch.h>
#include <functional>

namespace pof {

struct LanczosOptions {
  int64_t k;
  int64_t max_iterations;  // products with A at most (capped at the dimension)
  double tolerance;        // stop when every top-k residual <= tolerance * max |Ritz value|
  uint64_t seed;           // of the random start vector
};

struct EigenPairs {
  torch::Tensor values;     // [k] float64 on the CPU, descending
  torch::Tensor vectors;    // [k, n] float64 on the operator's device, unit norm, largest |entry| positive
  torch::Tensor residuals;  // [k] float64 on the CPU: estimates of ||A x - lambda x||
  int64_t iterations = 0;
  bool converged = false;
};

// apply: flat float64 vector [n] -> A times it, same shape, on `options`' device.
using SymmetricOperator = std::function<torch::Tensor(const torch::Tensor&)>;

EigenPairs LanczosTopK(const SymmetricOperator& apply, int64_t n, const torch::TensorOptions& options,
                       const LanczosOptions& lanczos);

}  // namespace pof
