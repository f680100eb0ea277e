// SAM (Foret et al. 2021): ascend by rho along the normalised gradient of all the optimizer's
// parameters, take the gradient there (BN running statistics frozen), restore the weights exactly,
// step the base optimizer.
#pragma once
#include <napi.h>
#include <memory>
#include <vector>
#include "models/freeze_batch_norm_stats.h"
#include "optim/training_method.h"

namespace pof {

// { method: 'sam', rho, localAscent }
struct SamOptions : MethodOptions {
  double rho;
  // Data parallel: the ascent along this rank's own gradient (per-rank e_w) instead of the global one.
  bool local_ascent;

  void Validate(int64_t batch_size) const override;
  TrainingMethod& Configure(std::unique_ptr<TrainingMethod>& current) const override;
};

std::shared_ptr<const MethodOptions> ParseSamOptions(const Napi::Object& o);

class SamMethod : public TrainingMethod {
 public:
  StepStats Step(Network& network, Sgd& optimizer, const StepInput& input) override;
  SamOptions options;

 private:
  // The weights during a step; the tensors are kept and reused by the next step.
  std::vector<torch::Tensor> backup_;
  BufferSnapshot snapshot_;  // the second pass leaves the BN statistics as they were
};

// The ascent alone, for tests and analyses: returns the weights' displacement e_w (already applied).
// BN running statistics are updated by its pass unless the caller freezes them.
std::vector<torch::Tensor> SamAscend(Network& network, const std::vector<torch::Tensor>& params, const Batch& batch,
                                     double rho);

}  // namespace pof
