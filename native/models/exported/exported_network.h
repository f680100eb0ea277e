// A user's own network exported with torch.export (a .pt2 from python/export_program.py), as a Network:
// its training-mode and evaluation-mode graphs (programs "train" and "model" of one archive, one set of
// weights) run by the interpreter of program.h, under the model's own state-dict names. `classifier` is the
// dotted path of its final nn.Linear; the features are what the graph's linear node for it receives. Loading
// checks that the Linear is applied last, to [N, D] features, and runs the program on the archive's own
// sample inputs.
#pragma once
#include <napi.h>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>
#include "models/exported/program.h"
#include "models/network.h"

namespace pof {

// The torch.export schema major version this runtime reads (8.x: the .pt2 of torch 2.13 to 2.15).
constexpr int64_t kExportSchemaMajor = 8;

struct ExportedConfig {
  std::string file;
  std::string classifier;  // the dotted path of the nn.Linear, e.g. "fc" or "head.fc"
  std::unordered_set<std::string> operators;  // what the graphs may use (lib/exported-operators.json and the user's)
};

class ExportedNetwork : public Network {
 public:
  // `env` parses the archive's JSON (with JS's JSON.parse) while loading.
  ExportedNetwork(const ExportedConfig& config, Napi::Env env);

  torch::Tensor Features(const torch::Tensor& x) override;
  torch::Tensor Forward(const torch::Tensor& x) override;
  torch::Tensor ClassifierWeight() const override { return weight_; }
  torch::Tensor ClassifierBias() const override { return bias_; }
  NamedTensors NamedParameters() const override { return parameters_; }
  NamedTensors NamedBuffers() const override { return buffers_; }
  NamedTensors StateTensors() const override { return state_; }
  bool IsClassifierParameter(const std::string& name) const override;
  void SetTraining(bool training) override { training_ = training; }
  bool IsTraining() const override { return training_; }
  void MoveTo(const torch::Device& device) override;
  void ProbeTraining(const std::vector<int64_t>& batch_sizes, const std::string& phase) override;
  c10::ScalarType InputDtype() const override { return input_dtype_; }
  std::optional<InputMismatch> CheckInput(c10::IntArrayRef example_shape) const override;
  std::string Description() const override;
  int64_t feature_dim() const override { return weight_.size(1); }
  int64_t num_classes() const override { return weight_.size(0); }

  // The archive again with the current weights, buffers and constants: torch.export.load reads it.
  std::string Serialized() const;

 private:
  // One program bound to this network: where its classifier node is and what it takes.
  struct BoundProgram {
    std::unique_ptr<Program> program;
    size_t classifier_node = 0;
    int features_slot = -1;
    // Per input of the program, the tensor it takes (nullptr for the batch and constants), and per buffer the
    // graph returns updated, the tensor it goes to: looked up once here, not by name at every step.
    std::vector<const torch::Tensor*> inputs;
    std::vector<std::pair<const torch::Tensor*, int>> mutations;
  };
  // A weight or constant as the archive stores it: a view of a storage record.
  struct StoredTensor {
    std::string name, record;
    c10::ScalarType dtype;
    std::vector<int64_t> sizes, strides;
    int64_t offset = 0;
    int64_t storage_numel = 0;
    int64_t extent = 0;  // the values of the record it reaches (offset of its last element + 1; 0 when empty)
    bool parameter = false;
  };

  void LoadTensors(const class Pt2Archive& archive, const std::string& config_record, const std::string& directory,
                   Napi::Env env, bool constants);
  // One entry of a weights or constants config, its metadata checked (custom objects and subclasses refused).
  StoredTensor ReadEntry(const class Pt2Archive& archive, const std::string& name, const JsonView& entry, const std::string& config_record,
                         const std::string& directory, bool constants) const;
  BoundProgram Bind(std::unique_ptr<Program> program, const std::string& name);
  void CheckSampleInputs(const Pt2Archive& archive);
  torch::Tensor Run(const BoundProgram& bound, const torch::Tensor& x);
  std::string TrainingFailure(int64_t batch);
  // The features in messages: "the features (fc's input)".
  std::string FeaturesCall() const;

  std::string file_, classifier_;
  BoundProgram eval_, train_;
  std::map<std::string, torch::Tensor> tensors_;  // every parameter, buffer and constant by name
  std::vector<StoredTensor> stored_;
  std::vector<std::pair<std::string, std::string>> records_;  // the archive's other records, kept for Serialized()
  NamedTensors parameters_, buffers_, state_;
  torch::Tensor weight_, bias_;
  c10::ScalarType input_dtype_ = c10::kFloat;
  std::vector<int64_t> example_sizes_;  // one example's declared sizes; -1 where symbolic
  torch::Tensor sample_;                // the archive's sample inputs, for the training probe
  bool training_ = true;
  torch::Device device_{torch::kCPU};
};

}  // namespace pof
