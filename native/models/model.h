// A classifier network split into a feature extractor F_phi and a Linear classifier C_theta.
#pragma once
#include <torch/torch.h>
#include <string>
#include <vector>

namespace pof {

class ModelImpl : public torch::nn::Module {
 public:
  // Everything up to and including global pooling / flatten: [batch, featureDim].
  virtual torch::Tensor Features(const torch::Tensor& x) = 0;
  torch::Tensor forward(const torch::Tensor& x) { return classifier_->forward(Features(x)); }

  // The classifier: registered as "classifiers.0" like the PoF authors' Classifier module.
  torch::nn::Linear& Classifier() { return classifier_; }
  // Whether a parameter name belongs to the classifier; every other parameter is the feature extractor's.
  static bool IsClassifierName(const std::string& name) { return name.rfind("classifiers.", 0) == 0; }
  std::vector<torch::Tensor> FeatureParameters() const;
  std::vector<torch::Tensor> ClassifierParameters() const { return {classifier_->weight, classifier_->bias}; }
  // Parameters and buffers by name, features first (the order of a PyTorch state_dict).
  std::vector<std::pair<std::string, torch::Tensor>> StateTensors() const;

  // Why one example of this shape (without the batch dimension) cannot go in, or "" when it can.
  virtual std::string InputMismatch(c10::IntArrayRef example_shape) const = 0;

  int64_t feature_dim() const { return feature_dim_; }
  int64_t num_classes() const { return num_classes_; }

 protected:
  // Called last by subclasses' constructors, so that the classifier's names come after the features'.
  void RegisterClassifier(int64_t feature_dim, int64_t num_classes);
  int64_t feature_dim_ = 0, num_classes_ = 0;

 private:
  torch::nn::Linear classifier_{nullptr};
};

using Model = std::shared_ptr<ModelImpl>;

}  // namespace pof
