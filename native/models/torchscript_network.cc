#include "models/torchscript_network.h"
#include <sstream>
#include "errors.h"
#include "models/training_probe.h"
#include "tensor.h"

namespace pof {

namespace {

UserError ModelProblem(const std::string& message) { return UserError(message, ErrorKind::kOption); }

NamedTensors Named(const torch::jit::named_parameter_list& list) {
  NamedTensors out;
  for (const auto& item : list) out.emplace_back(item.name, item.value);
  return out;
}

NamedTensors Named(const torch::jit::named_buffer_list& list) {
  NamedTensors out;
  for (const auto& item : list) out.emplace_back(item.name, item.value);
  return out;
}

}  // namespace

TorchScriptNetwork::TorchScriptNetwork(const TorchScriptConfig& config)
    : file_(config.file), classifier_path_(config.classifier), features_method_(config.features),
      input_shape_(config.input_shape) {
  try {
    module_ = torch::jit::load(config.file, torch::kCPU);
  } catch (const c10::Error& e) {
    throw UserError(config.file + " cannot be loaded as a TorchScript module (a torch.jit.save file): " +
                        CleanMessage(e.what_without_backtrace()),
                    ErrorKind::kCheckpoint);
  }
  if (!module_.find_method(features_method_)) {
    throw ModelProblem(config.file + " has no method '" + features_method_ + "' (export it with @torch.jit.export, or use " +
                       "python/export_torchscript.py); " + Contents());
  }
  torch::jit::Module owner = module_;
  std::string walked;
  for (size_t start = 0; start <= classifier_path_.size();) {
    const size_t dot = std::min(classifier_path_.find('.', start), classifier_path_.size());
    const std::string part = classifier_path_.substr(start, dot - start);
    walked += (walked.empty() ? "" : ".") + part;
    if (part.empty() || !owner.hasattr(part) || !owner.attr(part).isModule()) {
      throw ModelProblem(config.file + " has no submodule '" + walked + "' (the classifier '" + classifier_path_ + "'); " + Contents());
    }
    owner = owner.attr(part).toModule();
    start = dot + 1;
  }
  classifier_ = owner;
  const auto type = classifier_.type()->name() ? classifier_.type()->name()->qualifiedName() : std::string("?");
  const bool linear = type.size() >= 6 && type.compare(type.size() - 6, 6, "Linear") == 0 && classifier_.hasattr("weight") &&
                      classifier_.attr("weight").isTensor() && classifier_.hasattr("bias") && classifier_.attr("bias").isTensor();
  if (!linear || ClassifierWeight().dim() != 2 || ClassifierBias().dim() != 1) {
    throw ModelProblem(config.file + ": the classifier '" + classifier_path_ + "' must be an nn.Linear with a bias, but it is " +
                       type + "; " + Contents());
  }
  for (auto& [name, p] : NamedParameters()) p.requires_grad_(true);
  CheckProbe();
  module_.train(true);
}

std::string TorchScriptNetwork::Contents() const {
  std::vector<std::string> methods, modules;
  for (const auto& m : module_.get_methods()) methods.push_back(m.name());
  for (const auto& m : module_.named_modules()) {
    if (!m.name.empty()) modules.push_back(m.name);
  }
  return "the module has methods " + CutList(methods, 16) + " and submodules " + CutList(modules, 16);
}

void TorchScriptNetwork::CheckProbe() {
  torch::NoGradGuard no_grad;
  module_.train(false);
  std::vector<int64_t> shape{2};
  shape.insert(shape.end(), input_shape_.begin(), input_shape_.end());
  const auto x = torch::randn(shape);
  torch::Tensor features, logits;
  try {
    features = Features(x);
    logits = Forward(x);
  } catch (const std::exception& e) {
    // The interpreter's message is a TorchScript traceback ending with the model's own error.
    throw ModelProblem("the module cannot run on inputs of shape " + c10::str(c10::IntArrayRef(shape)) + " (inputShape " +
                       c10::str(c10::IntArrayRef(input_shape_)) + "): " + ModelMessage(e.what()));
  }
  if (features.dim() != 2 || features.size(1) != feature_dim()) {
    throw ModelProblem(features_method_ + "(x) must return [N, " + std::to_string(feature_dim()) +
                       "] (the classifier's input size); it returns " + c10::str(features.sizes()));
  }
  const auto expected = torch::addmm(ClassifierBias(), features, ClassifierWeight().t());
  if (!logits.sizes().equals(expected.sizes()) || !torch::allclose(logits, expected, 1e-4, 1e-5)) {
    throw ModelProblem("forward(x) is not " + classifier_path_ + "(" + features_method_ + "(x)) on a probe batch: PoF needs the " +
                       "classifier applied last, to the features (max difference " +
                       (logits.sizes().equals(expected.sizes()) ? std::to_string((logits - expected).abs().max().item<double>())
                                                                 : "shapes " + c10::str(logits.sizes()) + " vs " + c10::str(expected.sizes())) + ")");
  }
}

void TorchScriptNetwork::ProbeTraining(const std::vector<int64_t>& batch_sizes, const std::string& phase) {
  pof::ProbeTraining(*this, batch_sizes, phase, "the TorchScript model " + file_, [this](int64_t batch) { return TrainingFailure(batch); });
}

std::string TorchScriptNetwork::TrainingFailure(int64_t batch) {
  std::vector<int64_t> shape{batch};
  shape.insert(shape.end(), input_shape_.begin(), input_shape_.end());
  // Fixed values rather than a draw: the probe must not move any generator.
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(ClassifierWeight().device());
  const auto x = torch::arange(c10::multiply_integers(shape), options).reshape(shape).mul(0.37).sin();
  return ProbeRunProblem(*this, x, features_method_ + "(x)");
}

torch::Tensor TorchScriptNetwork::Features(const torch::Tensor& x) {
  return module_.get_method(features_method_)({x}).toTensor();
}
torch::Tensor TorchScriptNetwork::Forward(const torch::Tensor& x) { return module_.forward({x}).toTensor(); }
torch::Tensor TorchScriptNetwork::ClassifierWeight() const { return classifier_.attr("weight").toTensor(); }
torch::Tensor TorchScriptNetwork::ClassifierBias() const { return classifier_.attr("bias").toTensor(); }

NamedTensors TorchScriptNetwork::NamedParameters() const { return Named(module_.named_parameters(/*recurse=*/true)); }
NamedTensors TorchScriptNetwork::NamedBuffers() const { return Named(module_.named_buffers(/*recurse=*/true)); }

NamedTensors TorchScriptNetwork::StateTensors() const {
  // PyTorch's state_dict order: each module's own parameters, then its buffers, modules in order.
  NamedTensors out;
  for (const auto& m : module_.named_modules()) {
    const std::string prefix = m.name.empty() ? "" : m.name + ".";
    for (const auto& p : m.value.named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.name, p.value);
    for (const auto& b : m.value.named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.name, b.value);
  }
  return out;
}

bool TorchScriptNetwork::IsClassifierParameter(const std::string& name) const {
  return name.rfind(classifier_path_ + ".", 0) == 0;
}

void TorchScriptNetwork::SetTraining(bool training) { module_.train(training); }
bool TorchScriptNetwork::IsTraining() const { return module_.is_training(); }
void TorchScriptNetwork::MoveTo(const torch::Device& device) { module_.to(device); }

std::optional<InputMismatch> TorchScriptNetwork::CheckInput(c10::IntArrayRef example_shape) const {
  if (example_shape.equals(input_shape_)) return std::nullopt;
  return InputMismatch{c10::str(example_shape), c10::str(c10::IntArrayRef(input_shape_))};
}

std::string TorchScriptNetwork::Description() const {
  return "TorchScript " + file_ + " (inputShape " + c10::str(c10::IntArrayRef(input_shape_)) + ", " +
         std::to_string(num_classes()) + " classes)";
}

std::string TorchScriptNetwork::Serialized() const {
  std::ostringstream out;
  module_.save(out);
  return out.str();
}

}  // namespace pof
