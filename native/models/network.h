// A classifier network as the engine, the training methods and the analyses see it: a feature
// extractor F_phi (x -> [N, D]) and a Linear classifier theta = (weight [C, D], bias [C]).
// Only tensors and names cross this interface, so that any module (a built-in network, a TorchScript
// module) can implement it without the engine knowing which.
#pragma once
#include <torch/torch.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pof {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// An example shape a network cannot take, in words: how the example is and what the network takes.
struct InputMismatch {
  std::string example;  // e.g. "[100] (100 values)"
  std::string takes;    // e.g. "784 values per example", "images [1, H, W]"
};

class Network {
 public:
  virtual ~Network() = default;

  // Everything up to and including global pooling / flatten: [N, feature_dim()].
  virtual torch::Tensor Features(const torch::Tensor& x) = 0;
  // The logits [N, num_classes()]: the classifier applied to Features(x).
  virtual torch::Tensor Forward(const torch::Tensor& x) = 0;
  // The classifier's own tensors (not copies: the analyses differentiate with respect to them).
  virtual torch::Tensor ClassifierWeight() const = 0;  // [C, D]
  virtual torch::Tensor ClassifierBias() const = 0;    // [C]; undefined for a Linear without a bias (a fixed zero)

  // By state-dict name, in the order of a PyTorch state_dict.
  virtual NamedTensors NamedParameters() const = 0;
  virtual NamedTensors NamedBuffers() const = 0;
  // Parameters and buffers together, as a PyTorch state_dict orders them.
  virtual NamedTensors StateTensors() const = 0;
  // Whether a parameter name belongs to the classifier; every other parameter is the feature extractor's.
  virtual bool IsClassifierParameter(const std::string& name) const = 0;
  NamedTensors FeatureParameters() const;
  NamedTensors ClassifierParameters() const;

  // Training mode: BatchNorm normalises with batch statistics and updates its running statistics.
  virtual void SetTraining(bool training) = 0;
  virtual bool IsTraining() const = 0;
  virtual void MoveTo(const torch::Device& device) = 0;
  // Puts every 4-D weight in NHWC memory layout (same values, same tensors); false when there is none.
  bool ConvertToChannelsLast();

  // Runs the network in training mode at the batch sizes a phase will use, leaving it as it was
  // (models/training_probe.h); a UserError when it cannot. Built-in networks need no probe.
  virtual void ProbeTraining(const std::vector<int64_t>& batch_sizes, const std::string& phase) {}

  // The dtype of the inputs it takes: float32 for the built-in and TorchScript networks, the program's own for an
  // exported one (int64 for token ids). The data checks (models/data_fit.h) refuse data of another kind.
  virtual c10::ScalarType InputDtype() const { return torch::kFloat32; }
  // Why one example of this shape (without the batch dimension) cannot go in; nothing when it can.
  virtual std::optional<InputMismatch> CheckInput(c10::IntArrayRef example_shape) const = 0;
  // The network in messages, its kind and configuration: "mlp (inputDim 784, hidden [16], 10 classes)".
  virtual std::string Description() const = 0;
  virtual int64_t feature_dim() const = 0;
  virtual int64_t num_classes() const = 0;
};

}  // namespace pof
