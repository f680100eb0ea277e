// The training engine: one model, one device, one generator, the optimizer of the current phase,
// and the epoch loop that runs on a worker thread; each step goes to the method object in use.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>
#include "data/dataset.h"
#include "distributed/cross_rank.h"
#include "models/model_handle.h"
#include "optim/gradient_hook.h"
#include "optim/sgd.h"
#include "optim/training_method.h"

namespace pof {

// One epoch's or step's options: the loop's own, and the training method's, parsed by the method.
struct EpochOptions {
  int64_t batch_size;
  int64_t epoch;         // 0-based index within the phase (messages, linear schedule)
  int64_t total_epochs;  // of the phase (linear schedule)
  int64_t report_every;  // steps between progress reports (0: none)
  std::shared_ptr<const MethodOptions> method;
  int64_t method_index;  // ParsedMethod::index

  // The values alone (sizes >= 1, epoch < total_epochs, the method's); RunEpoch checks them against the data.
  void Validate() const;
};

// Means over the steps run so far.
struct EpochStats {
  int64_t steps = 0, examples = 0;
  double loss = 0, error = 0;        // error in percent
  double xi = 0, perturbation = 0, reject_rate = 0;  // PoF
  double seconds = 0;
  bool cancelled = false;
};

// Speed options; they do not change the maths beyond floating-point rounding (bf16 autocast: more).
struct PerformanceOptions {
  bool channels_last = false;    // 4-D weights and batches in NHWC memory layout
  bool cudnn_benchmark = false;  // CUDA only; process-wide: cuDNN picks the fastest convolution algorithms
  bool autocast_bf16 = false;    // CUDA only: forward passes under bf16 autocast (line search stays float32)
};

struct EvalStats {
  int64_t examples = 0;
  double loss = 0, error = 0;  // error in percent
  std::vector<double> class_examples, class_errors;  // per label 0..K-1: examples, misclassified ones
  std::vector<int32_t> predictions;                   // when asked: each example's predicted label, in order
};

class Engine {
 public:
  Engine(std::shared_ptr<ModelHandle> model, uint64_t seed);

  // A fresh base optimizer (momentum buffers at zero) over all parameters or the features only.
  void ConfigureOptimizer(bool features_only, const SgdOptions& options);
  void SetLearningRate(double lr);
  // Validated against the device and model; call before training (converts the weights' layout).
  void ConfigurePerformance(const PerformanceOptions& options);
  Sgd& optimizer();
  // The optimizer's whole state beyond its options: one momentum buffer per parameter it updates, by
  // parameter name in model order. Setting needs exactly these names and shapes.
  std::vector<std::pair<std::string, torch::Tensor>> MomentumBuffers();
  void SetMomentumBuffers(const std::map<std::string, torch::Tensor>& buffers);
  // The generator's state (a CPU uint8 tensor). Every draw of training (batch order, PoF's B,
  // augmentation, uniform gamma) comes from this one generator, so with the weights and the momentum
  // buffers it fixes the rest of a run: restoring all three at an epoch boundary resumes bit-identically.
  torch::Tensor GeneratorState();
  // A state this engine's generator takes (set_state on a copy); a CheckpointError naming what is wrong.
  void CheckGeneratorState(const torch::Tensor& state);
  void SetGeneratorState(const torch::Tensor& state);

  using Report = std::function<void(int64_t step, int64_t steps, const EpochStats& so_far)>;
  EpochStats RunEpoch(const DeviceDataset& data, const EpochOptions& options, const Report& report);
  // One step on the given examples without augmentation (tests, custom loops).
  EpochStats RunStep(const DeviceDataset& data, const torch::Tensor& indices, const torch::Tensor& weak_indices,
                     const EpochOptions& options);
  // Moves the weights to SAM's ascent point w + rho g/||g|| for these examples (tests, analyses).
  void SamAscendOn(const DeviceDataset& data, const torch::Tensor& indices, double rho);
  // Features F_phi(x) of these examples in evaluation mode, without augmentation: [B, featureDim].
  torch::Tensor FeaturesOf(const DeviceDataset& data, const torch::Tensor& indices);
  // With `predictions`, each example's argmax label too (paired tests of two models need them).
  EvalStats Evaluate(const DeviceDataset& data, int64_t batch_size, bool predictions = false);

  void RequestCancel() { cancel_ = true; }
  // Frees the optimizer state and the carried tensors now (refused while the model is busy).
  void Dispose();
  std::shared_ptr<ModelHandle> model_handle() const { return model_; }
  at::Generator& generator() { return generator_; }
  // Runs in every training step between backward and the optimizer's step (none by default).
  void SetGradientHook(GradientHook hook) { gradient_hook_ = std::move(hook); }

  // Data parallel: this engine becomes one rank of the job. Every rank takes rank 0's weights, buffers
  // and generator state; from then on each epoch runs this rank's shard of every global batch (the
  // same permutation on every rank), gradients and PoF's line-search sums are averaged / summed over
  // the ranks, statistics and evaluations cover every shard, and BN running statistics are averaged
  // at the end of each epoch. A collective call: every rank makes it.
  void JoinProcessGroup(std::shared_ptr<Communicator> communicator);
  const CrossRank& ranks() const { return ranks_; }
  // Averages the floating-point buffers (BN running statistics) over the ranks.
  void AverageBuffers();

 private:
  // `draw_weak` gives PoF's B when its features are not carried over from the previous iteration.
  StepStats Step(const Batch& regular, const std::function<Batch()>& draw_weak, const EpochOptions& options,
                 double schedule_fraction);
  // The method of `options` for this optimizer, with their values; a new one (without carried state)
  // when it changes.
  TrainingMethod& MethodFor(const EpochOptions& options);
  Batch Prepare(Batch batch) const;
  // The data's device, example shape and labels fit the model (what: "training data", ...).
  void CheckData(const DeviceDataset& data, const char* what) const;
  // A global batch size splits into equal shards over the ranks.
  void CheckShards(const char* what, int64_t batch) const;

  std::shared_ptr<ModelHandle> model_;
  at::Generator generator_;
  std::unique_ptr<Sgd> optimizer_;
  std::vector<std::string> optimizer_names_;  // of optimizer_->params(), in the same order
  bool optimizer_features_only_ = false;
  PerformanceOptions performance_;
  // The method in use and its state (PoF's carried features, SAM's weight backup).
  std::unique_ptr<TrainingMethod> method_;
  GradientHook gradient_hook_;
  CrossRank ranks_;  // a single process unless JoinProcessGroup
  std::atomic<bool> cancel_{false};
};

}  // namespace pof
