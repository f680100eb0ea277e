#include "optim/step_stats.h"

namespace pof {

StepStats LossAndErrors(const torch::Tensor& logits, const torch::Tensor& labels, torch::Tensor* loss) {
  *loss = torch::cross_entropy_loss(logits, labels);
  StepStats stats;
  stats.loss = loss->detach();
  stats.errors = logits.detach().argmax(1).ne(labels).sum();
  return stats;
}

}  // namespace pof
