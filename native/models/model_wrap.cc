#include "models/model_wrap.h"
#include <cstring>
#include <map>
#include "addon_data.h"
#include "device.h"
#include "js_args.h"
#include "memory.h"
#include "models/data_fit.h"
#include "models/exported/exported_network.h"
#include "models/mlp.h"
#include "models/torchscript_network.h"
#include "models/wide_resnet.h"
#include "tensor.h"

namespace pof {

namespace {

std::shared_ptr<Network> BuildModel(const Napi::Object& config) {
  const std::string kind = StringField(config, "kind");
  if (kind == "mlp") {
    MlpConfig c;
    c.input_dim = IntField(config, "inputDim");
    c.hidden = IntArrayField(config, "hidden");
    c.num_classes = IntField(config, "numClasses");
    return std::make_shared<MlpImpl>(c);
  }
  if (kind == "wideResNet") {
    WideResNetConfig c;
    c.depth = IntField(config, "depth");
    c.widen = IntField(config, "widen");
    c.num_classes = IntField(config, "numClasses");
    c.input_channels = IntField(config, "inputChannels");
    return std::make_shared<WideResNetImpl>(c);
  }
  if (kind == "torchScript") {
    TorchScriptConfig c;
    c.file = StringField(config, "file");
    c.features = StringField(config, "features");
    c.classifier = StringField(config, "classifier");
    c.input_shape = IntArrayField(config, "inputShape");
    double values = 1;
    for (int64_t d : c.input_shape) {
      if (d < 1) throw UserError("torchScript inputShape must hold sizes >= 1, got " + c10::str(c10::IntArrayRef(c.input_shape)));
      values *= static_cast<double>(d);
    }
    // Loading runs the module on a probe batch of 2 examples: refuse one the machine cannot hold.
    CheckFitsDevice(2 * values * 4, torch::kCPU, "the probe batch of 2 examples of inputShape " + c10::str(c10::IntArrayRef(c.input_shape)),
                    "check inputShape (one example's shape, e.g. [3, 32, 32])");
    return std::make_shared<TorchScriptNetwork>(c);
  }
  if (kind == "exported") {
    const auto operators = StringArrayField(config, "operators");
    return std::make_shared<ExportedNetwork>(
        ExportedConfig{StringField(config, "file"), StringField(config, "classifier"), {operators.begin(), operators.end()}}, config.Env());
  }
  throw UserError("model kind '" + kind + "' is unknown; expected 'mlp', 'wideResNet', 'torchScript' or 'exported' (from " +
                  "models.mlp, models.wideResNet, models.torchScript or models.exported)");
}

Napi::Uint8Array BytesToJs(Napi::Env env, const std::string& bytes) {
  auto out = Napi::Uint8Array::New(env, bytes.size());
  std::memcpy(out.Data(), bytes.data(), bytes.size());
  return out;
}

int64_t CountOf(const NamedTensors& tensors) {
  int64_t n = 0;
  for (const auto& [name, t] : tensors) n += t.numel();
  return n;
}

int64_t BytesOf(const Network& model) {
  int64_t n = 0;
  for (const auto& [name, tensor] : model.StateTensors()) n += tensor.nbytes();
  return n;
}

}  // namespace

Napi::Function ModelWrap::Init(Napi::Env env) {
  return DefineClass(env, "Model",
                     {JsMethod<&ModelWrap::Info>("info"), JsMethod<&ModelWrap::StateDict>("stateDict"),
                      JsMethod<&ModelWrap::StateShapes>("stateShapes"), JsMethod<&ModelWrap::LoadStateDict>("loadStateDict"),
                      JsMethod<&ModelWrap::ParameterNames>("parameterNames"), JsMethod<&ModelWrap::Dispose>("dispose"),
                      JsMethod<&ModelWrap::TorchScriptBytes>("torchScriptBytes"),
                      JsMethod<&ModelWrap::ProgramBytes>("programBytes"),
                      JsMethod<&ModelWrap::DataMismatch>("dataMismatch"),
                      JsMethod<&ModelWrap::ProbeTraining>("probeTraining")});
}

std::shared_ptr<ModelHandle> ModelWrap::FromJs(const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Data(value.Env()).model.Value())) {
    throw UserError("expected a Model (from models.mlp or models.wideResNet)");
  }
  return Unwrap(value.As<Napi::Object>())->handle_;
}

// new Model(config, seed, device)
ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : GuardedObjectWrap<ModelWrap>(info) {
  Construct(info, [&] {
    auto config = ObjectArg(info, 0, "model config");
    if (!info[1].IsNumber()) throw UserError("model seed must be a number");
    const auto device = ParseDevice(info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "cpu");
    // Initialisation draws from the global CPU generator: seed it so that a seed fixes the weights.
    torch::manual_seed(static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()));
    handle_ = std::make_shared<ModelHandle>();
    handle_->model = BuildModel(config);
    handle_->model->MoveTo(device);
    handle_->device = device;
    external_bytes_ = BytesOf(*handle_->model);
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), external_bytes_);
  });
}

void ModelWrap::Finalize(Napi::Env env) {
  if (external_bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
}

// dispose(): frees the weights now (refused while busy); every later call is a DisposedError.
Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  if (!handle_->model) return info.Env().Undefined();
  handle_->Dispose();
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -external_bytes_);
  external_bytes_ = 0;
  return info.Env().Undefined();
}

Napi::Value ModelWrap::Info(const Napi::CallbackInfo& info) {
  auto out = Napi::Object::New(info.Env());
  const auto& m = handle_->Get();
  const int64_t features = CountOf(m.FeatureParameters()), classifier = CountOf(m.ClassifierParameters());
  out.Set("featureDim", static_cast<double>(m.feature_dim()));
  out.Set("numClasses", static_cast<double>(m.num_classes()));
  out.Set("featureParameterCount", static_cast<double>(features));
  out.Set("classifierParameterCount", static_cast<double>(classifier));
  out.Set("parameterCount", static_cast<double>(features + classifier));
  out.Set("device", DeviceName(handle_->device));
  return out;
}

Napi::Value ModelWrap::ParameterNames(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto features = Napi::Array::New(env), classifier = Napi::Array::New(env);
  const auto& network = handle_->Get();
  for (const auto& [name, p] : network.NamedParameters()) {
    auto& target = network.IsClassifierParameter(name) ? classifier : features;
    target.Set(target.Length(), name);
  }
  auto out = Napi::Object::New(env);
  out.Set("features", features);
  out.Set("classifier", classifier);
  return out;
}

Napi::Value ModelWrap::StateDict(const Napi::CallbackInfo& info) {
  handle_->CheckIdle("read the state dict");
  return NamedTensorsToJs(info.Env(), handle_->Get().StateTensors());
}

// stateShapes() -> [{ name, shape, dtype }]: the state dict without its data (nothing is copied).
Napi::Value ModelWrap::StateShapes(const Napi::CallbackInfo& info) {
  return NamedTensorsToJs(info.Env(), handle_->Get().StateTensors(), /*with_data=*/false);
}

// loadStateDict([{ name, shape, data }]): every tensor of the model must be given, with its shape.
Napi::Value ModelWrap::LoadStateDict(const Napi::CallbackInfo& info) {
  auto guard = handle_->Acquire("load a state dict");
  auto given = NamedTensorsFromJs(info[0], "state dict");
  std::vector<std::string> problems;
  size_t total = 0;
  auto note = [&](const std::string& p) { if (problems.size() < 5) problems.push_back(p); ++total; };
  auto own = handle_->Get().StateTensors();
  std::map<std::string, bool> known;
  for (const auto& [name, tensor] : own) {
    known[name] = true;
    auto it = given.find(name);
    if (it == given.end()) note(name + ": missing from the given state dict (model " + c10::str(tensor.sizes()) + ")");
    else if (it->second.sizes() != tensor.sizes())
      note(name + ": given " + c10::str(it->second.sizes()) + " vs model " + c10::str(tensor.sizes()));
  }
  for (const auto& [name, tensor] : given) {
    if (!known.count(name)) note(name + ": not in the model (given " + c10::str(tensor.sizes()) + ")");
  }
  if (total > 0) {
    std::string msg = "state dict does not match the model (" + std::to_string(total) + " mismatch" +
                      (total > 1 ? "es" : "") + "):";
    for (const auto& p : problems) msg += "\n  " + p;
    if (total > problems.size()) msg += "\n  ... and " + std::to_string(total - problems.size()) + " more";
    throw UserError(msg, ErrorKind::kCheckpoint);
  }
  for (const auto& [name, tensor] : given) {
    if (tensor.is_floating_point() && !torch::isfinite(tensor).all().item<bool>()) {
      throw UserError("state dict tensor '" + name + "' holds NaN or infinite values; expected finite weights",
                      ErrorKind::kNonFinite);
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : own) tensor.copy_(given[name]);
  return info.Env().Undefined();
}

// torchScriptBytes() -> Uint8Array: a TorchScript model with its current weights and buffers, as
// torch.jit.save writes it (lib/trainer.ts writes the file atomically).
Napi::Value ModelWrap::TorchScriptBytes(const Napi::CallbackInfo& info) {
  handle_->CheckIdle("export the model");
  auto* network = dynamic_cast<TorchScriptNetwork*>(&handle_->Get());
  if (!network) throw UserError("only a TorchScript model (models.torchScript) can be exported as TorchScript");
  return BytesToJs(info.Env(), network->Serialized());
}

// programBytes() -> Uint8Array: an exported model's .pt2 archive with its current weights, buffers and
// constants (torch.export.load reads it; lib/trainer/persistence.ts writes the file atomically).
Napi::Value ModelWrap::ProgramBytes(const Napi::CallbackInfo& info) {
  handle_->CheckIdle("export the model");
  auto* network = dynamic_cast<ExportedNetwork*>(&handle_->Get());
  if (!network) throw UserError("only an exported model (models.exported) can be written back as a .pt2 program");
  return BytesToJs(info.Env(), network->Serialized());
}

// dataMismatch(exampleShape, maxLabel, kind) -> string | null: why such data cannot go through the model, in the
// words that follow the data's name, or null when it can (lib/data-fit.ts asks before any work).
Napi::Value ModelWrap::DataMismatch(const Napi::CallbackInfo& info) {
  const auto shape = ShapeFromJs(info[0], "example shape");
  const int64_t max_label = IntArg(info, 1, "maxLabel");
  const InputKind kind = ParseInputKind(StringArg(info, 2, "kind"));
  const std::string mismatch = pof::DataMismatch(handle_->Get(), kind, shape, max_label);
  if (mismatch.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), mismatch);
}

// probeTraining({ phase, batchSizes }): a user's model (TorchScript or exported) runs in training mode at these batch sizes (a
// UserError naming the phase and size when not); the model is left as it was. Built-in networks need no probe.
Napi::Value ModelWrap::ProbeTraining(const Napi::CallbackInfo& info) {
  const auto options = ObjectArg(info, 0, "probeTraining's options");
  const std::string phase = StringField(options, "phase");
  const auto batch_sizes = IntArrayField(options, "batchSizes");
  for (int64_t b : batch_sizes) {
    if (b < 1) throw UserError("probeTraining: batch sizes must be >= 1, got " + std::to_string(b));
  }
  auto token = handle_->Acquire("probe the model");
  handle_->Get().ProbeTraining(batch_sizes, phase);
  return info.Env().Undefined();
}

}  // namespace pof
