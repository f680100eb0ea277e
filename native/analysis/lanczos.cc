#include "analysis/lanczos.h"
#include <algorithm>
#include <cmath>
#include <vector>
#include "errors.h"
#include "random.h"

namespace pof {

namespace {

// Removes the components along the first `rows` basis vectors; twice, which keeps the basis
// orthogonal to working precision ("twice is enough", Parlett).
torch::Tensor Orthogonalise(torch::Tensor w, const torch::Tensor& basis, int64_t rows) {
  if (rows == 0) return w;
  auto q = basis.slice(0, 0, rows);
  for (int pass = 0; pass < 2; ++pass) w = w - q.t().mv(q.mv(w));
  return w;
}

torch::Tensor Tridiagonal(const std::vector<double>& alpha, const std::vector<double>& beta) {
  const int64_t m = static_cast<int64_t>(alpha.size());
  auto t = torch::zeros({m, m}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (int64_t i = 0; i < m; ++i) {
    a[i][i] = alpha[i];
    if (i + 1 < m) a[i][i + 1] = a[i + 1][i] = beta[i];
  }
  return t;
}

}  // namespace

EigenPairs LanczosTopK(const SymmetricOperator& apply, int64_t n, const torch::TensorOptions& options,
                       const LanczosOptions& o) {
  if (o.k < 1 || o.k > n) {
    throw UserError("k must lie in 1.." + std::to_string(n) + " (the number of parameters), got " + std::to_string(o.k));
  }
  if (o.max_iterations < o.k) {
    throw UserError("maxIterations (" + std::to_string(o.max_iterations) + ") must be >= k (" + std::to_string(o.k) + ")");
  }
  const auto opts = options.dtype(torch::kFloat64);
  const int64_t steps = std::min(n, o.max_iterations);
  auto generator = MakeGenerator(opts.device(), o.seed);
  auto random_unit = [&](int64_t have, const torch::Tensor& basis) {
    auto r = Orthogonalise(torch::randn({n}, generator, opts), basis, have);
    return r / r.norm();
  };

  // The basis grows as needed (doubling): memory is O(iterations used x n), not O(maxIterations x n).
  auto basis = torch::zeros({std::min(steps, std::max<int64_t>(2 * o.k, 16)), n}, opts);
  std::vector<double> alpha, beta;
  torch::Tensor ritz_values, ritz_vectors;  // of the tridiagonal matrix, ascending
  double scale = 0;                         // running estimate of ||A||
  EigenPairs out;
  auto q = random_unit(0, basis);
  for (int64_t j = 0; j < steps; ++j) {
    if (j == basis.size(0)) basis = torch::cat({basis, torch::zeros({std::min(steps, 2 * j) - j, n}, opts)});
    basis[j].copy_(q);
    auto w = apply(q);
    const double a = w.dot(q).item<double>();
    w = Orthogonalise(w, basis, j + 1);
    const double b = w.norm().item<double>();
    alpha.push_back(a);
    scale = std::max({scale, std::abs(a), b});
    out.iterations = j + 1;

    std::tie(ritz_values, ritz_vectors) = torch::linalg_eigh(Tridiagonal(alpha, beta));
    if (j + 1 >= o.k) {
      // Residual of Ritz pair i: |b * (last entry of its eigenvector of T)|.
      auto residuals = (ritz_vectors[j].slice(0, j + 1 - o.k, j + 1).abs() * b).flip(0);
      const double largest = ritz_values.abs().max().item<double>();
      out.residuals = residuals;
      out.converged = residuals.max().item<double>() <= o.tolerance * std::max(largest, 1e-300);
      if (out.converged) break;
    }
    if (j + 1 == steps) break;
    if (b <= 1e-12 * scale) {
      // An invariant subspace with fewer than k eigenvalues: continue from a fresh direction
      // orthogonal to it (the tridiagonal matrix becomes block diagonal).
      q = random_unit(j + 1, basis);
      beta.push_back(0.0);
    } else {
      q = w / b;
      beta.push_back(b);
    }
  }

  const int64_t m = out.iterations;
  auto top = ritz_vectors.slice(1, m - o.k, m).flip(1);       // [m, k], descending eigenvalue
  out.values = ritz_values.slice(0, m - o.k, m).flip(0).contiguous();
  auto vectors = top.t().to(opts.device()).mm(basis.slice(0, 0, m));  // [k, n]
  vectors = vectors / vectors.norm(2, {1}, true);
  // A deterministic sign: the largest-magnitude entry of each vector is positive.
  auto peak = vectors.gather(1, vectors.abs().argmax(1, true));
  out.vectors = vectors * (1.0 - 2.0 * (peak < 0).to(torch::kFloat64));
  return out;
}

}  // namespace pof
