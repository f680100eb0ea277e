#include "models/training_probe.h"
#include <ATen/Context.h>
#include <mutex>
#include "errors.h"
#include "tensor.h"

namespace pof {

void ProbeTraining(Network& network, const std::vector<int64_t>& batch_sizes, const std::string& phase,
                   const std::string& subject, const std::function<std::string(int64_t)>& failure) {
  torch::NoGradGuard no_grad;
  const bool was_training = network.IsTraining();
  std::vector<torch::Tensor> buffers;
  for (const auto& [name, b] : network.NamedBuffers()) buffers.push_back(b.clone());
  auto generator = at::globalContext().defaultGenerator(network.ClassifierWeight().device());
  torch::Tensor rng;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    rng = generator.get_state();
  }
  // Put back what running in training mode changed, so that the phase trains as without the probe.
  const auto restore = [&] {
    network.SetTraining(was_training);
    size_t i = 0;
    for (auto& [name, b] : network.NamedBuffers()) b.copy_(buffers[i++]);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  };
  network.SetTraining(true);
  std::string problem;
  int64_t failed_at = 0;
  try {
    for (int64_t batch : batch_sizes) {
      if ((problem = failure(batch)).empty()) continue;
      failed_at = batch;
      break;
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();
  if (!problem.empty()) {
    throw UserError(phase + ": " + subject + " fails in training mode at batch size " + std::to_string(failed_at) + ": " + problem +
                        " (it ran in evaluation mode when loaded; the phase trains it at this batch size)",
                    ErrorKind::kOption);
  }
}

std::string ProbeRunProblem(Network& network, const torch::Tensor& x, const std::string& features_call) {
  const int64_t batch = x.size(0);
  try {
    const std::string problem = FeaturesProblem(network, batch, network.Features(x), features_call);
    return problem.empty() ? LogitsProblem(network, batch, network.Forward(x)) : problem;
  } catch (const c10::OutOfMemoryError&) {
    throw;
  } catch (const std::exception& e) {
    if (IsAllocationFailure(e.what())) throw;
    return ModelMessage(e.what());
  }
}

std::string FeaturesProblem(const Network& network, int64_t batch, const torch::Tensor& features, const std::string& features_call) {
  const std::vector<int64_t> want{batch, network.feature_dim()};
  if (features.is_floating_point() && features.sizes().equals(want)) return "";
  return features_call + " returns " + DtypeName(features.scalar_type()) + " " + c10::str(features.sizes()) +
         " where the classifier takes float32 " + c10::str(c10::IntArrayRef(want));
}

std::string LogitsProblem(const Network& network, int64_t batch, const torch::Tensor& logits) {
  if (logits.is_floating_point() && logits.sizes().equals({batch, network.num_classes()})) return "";
  return "forward(x) returns " + DtypeName(logits.scalar_type()) + " " + c10::str(logits.sizes()) + ", not float32 [" +
         std::to_string(batch) + ", " + std::to_string(network.num_classes()) + "]";
}

}  // namespace pof
