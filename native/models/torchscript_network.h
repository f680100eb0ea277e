// A user's own network, saved with torch.jit.save, as a Network: `features` names a method of the module
// returning [N, D], `classifier` the dotted path of an nn.Linear submodule with a bias. Loading checks
// both, and that forward(x) equals classifier(features(x)) on a probe batch of `input_shape`, so PoF's
// split of the network is the one its forward computes.
#pragma once
#include <torch/script.h>
#include <string>
#include <vector>
#include "models/network.h"

namespace pof {

struct TorchScriptConfig {
  std::string file;
  std::string features;    // the method computing F_phi(x)
  std::string classifier;  // the dotted path of the nn.Linear
  std::vector<int64_t> input_shape;  // one example, e.g. {3, 32, 32}
};

class TorchScriptNetwork : public Network {
 public:
  explicit TorchScriptNetwork(const TorchScriptConfig& config);

  torch::Tensor Features(const torch::Tensor& x) override;
  torch::Tensor Forward(const torch::Tensor& x) override;
  torch::Tensor ClassifierWeight() const override;
  torch::Tensor ClassifierBias() const override;
  NamedTensors NamedParameters() const override;
  NamedTensors NamedBuffers() const override;
  NamedTensors StateTensors() const override;
  bool IsClassifierParameter(const std::string& name) const override;
  void SetTraining(bool training) override;
  bool IsTraining() const override;
  void MoveTo(const torch::Device& device) override;
  std::optional<InputMismatch> CheckInput(c10::IntArrayRef example_shape) const override;
  std::string Description() const override;
  int64_t feature_dim() const override { return ClassifierWeight().size(1); }
  int64_t num_classes() const override { return ClassifierWeight().size(0); }

  // The module with its current weights and buffers, as torch.jit.save writes it.
  std::string Serialized() const;
  // Runs features and forward in training mode at each batch size a phase will use, so that code that
  // fails only there is refused before the first epoch (a UserError naming the phase and batch size).
  // Leaves the module as it was: BatchNorm statistics, the default generator (dropout) and the mode.
  void ProbeTraining(const std::vector<int64_t>& batch_sizes, const std::string& phase) override;

 private:
  // What the module has, for errors: its methods and submodules.
  std::string Contents() const;
  void CheckProbe();
  // Why features and forward of the module in training mode cannot take a batch of `batch`; "" when they can.
  std::string TrainingFailure(int64_t batch);

  mutable torch::jit::Module module_;  // running a method is not const in TorchScript's API
  torch::jit::Module classifier_;
  std::string file_;
  std::string classifier_path_;
  std::string features_method_;
  std::vector<int64_t> input_shape_;
};

}  // namespace pof
