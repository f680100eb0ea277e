// The base of the built-in networks (MLP, WideResNet): a Network on a torch::nn::Module whose
// classifier is registered as "classifiers.0", like the PoF authors' Classifier module.
#pragma once
#include <torch/torch.h>
#include <string>
#include "models/network.h"

namespace pof {

class BuiltInNetwork : public torch::nn::Module, public Network {
 public:
  torch::Tensor Forward(const torch::Tensor& x) override { return classifier_->forward(Features(x)); }
  torch::Tensor ClassifierWeight() const override { return classifier_->weight; }
  torch::Tensor ClassifierBias() const override { return classifier_->bias; }

  NamedTensors NamedParameters() const override;
  NamedTensors NamedBuffers() const override;
  NamedTensors StateTensors() const override;
  bool IsClassifierParameter(const std::string& name) const override { return name.rfind("classifiers.", 0) == 0; }

  void SetTraining(bool training) override { train(training); }
  bool IsTraining() const override { return is_training(); }
  void MoveTo(const torch::Device& device) override { to(device); }

  int64_t feature_dim() const override { return feature_dim_; }
  int64_t num_classes() const override { return num_classes_; }

 protected:
  // Called last by subclasses' constructors, so that the classifier's names come after the features'.
  void RegisterClassifier(int64_t feature_dim, int64_t num_classes);
  torch::nn::Linear& classifier() { return classifier_; }

 private:
  int64_t feature_dim_ = 0, num_classes_ = 0;
  torch::nn::Linear classifier_{nullptr};
};

}  // namespace pof
