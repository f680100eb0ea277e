#include "models/exported/exported_network.h"
#include <caffe2/serialize/inline_container.h>
#include <algorithm>
#include <limits>
#include <set>
#include "errors.h"
#include "models/exported/pt2_archive.h"
#include "models/exported/schema_enums.h"
#include "models/training_probe.h"
#include "tensor.h"

namespace pof {

namespace {

constexpr const char* kLinear = "torch.ops.aten.linear.default";

bool Uses(const GraphNode& node, int slot) {
  for (const auto& a : node.arguments) {
    if (a.slot == slot) return true;
    for (int s : a.slots) {
      if (s == slot) return true;
    }
  }
  return false;
}

std::vector<int64_t> Ints(const JsonView& list) {
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < list.Size(); ++i) {
    if (!list.At(i).Has("as_int")) list.At(i).Fail("expected a fixed size");
    out.push_back(list.At(i)["as_int"].Int());
  }
  return out;
}

}  // namespace

ExportedNetwork::ExportedNetwork(const ExportedConfig& config, Napi::Env env) : file_(config.file), classifier_(config.classifier) {
  Pt2Archive archive(file_);
  const auto document = [&](const std::string& record) { return ParseJson(env, archive.Text(record), file_ + ": " + record); };
  if (!archive.Has("models/model.json")) {
    throw UserError(file_ + " holds no program 'model' (models/model.json): write it with torch.export.save or " +
                        "python/export_program.py",
                    ErrorKind::kCheckpoint);
  }
  if (!archive.Has("models/train.json")) {
    throw UserError(file_ + " holds one program, exported in one mode; pof-torch trains with the training-mode graph " +
                        "(BatchNorm batch statistics, dropout) and evaluates with the evaluation-mode one: export both into " +
                        "one archive with python/export_program.py",
                    ErrorKind::kCheckpoint);
  }
  // Each program's configs: python/export_program.py points both at one set of records, package_pt2 writes
  // one set per program; either way a name is one tensor here, and every record is written back.
  for (const std::string program : {"model", "train"}) {
    LoadTensors(archive, "data/weights/" + program + "_weights_config.json", "data/weights/", env, false);
    const std::string constants = "data/constants/" + program + "_constants_config.json";
    if (archive.Has(constants)) LoadTensors(archive, constants, "data/constants/", env, true);
  }
  for (const char* name : {"model", "train"}) {
    const auto json = document(std::string("models/") + name + ".json");
    const auto version = json["schema_version"];
    if (version["major"].Int() != kExportSchemaMajor) {
      throw UserError(file_ + ": program '" + name + "' uses the torch.export schema " + std::to_string(version["major"].Int()) +
                          "." + std::to_string(version["minor"].Int()) + "; this runtime reads schema " +
                          std::to_string(kExportSchemaMajor) + ".x (torch 2.13 to 2.15)",
                      ErrorKind::kCheckpoint);
    }
    std::unique_ptr<Program> program;
    try {
      program = std::make_unique<Program>(json["graph_module"], config.operators);
    } catch (const UserError& e) {
      throw UserError(file_ + ": program '" + name + "': " + e.what(), e.kind);  // which archive, which of its graphs
    }
    (std::string(name) == "model" ? eval_ : train_) = Bind(std::move(program), name);
  }
  // Every other record is kept as it is; the storages of weights and constants are written from the tensors.
  std::set<std::string> storages;
  for (const auto& s : stored_) storages.insert(s.record);
  for (const auto& record : archive.Records()) {
    if (storages.count(record) || record.rfind(".data/", 0) == 0) continue;
    records_.emplace_back(record, archive.Text(record));
  }
  // The optimizer's parameters: each tensor once, under the name the graph gives it (a tied weight has one).
  std::set<const void*> seen;
  for (const auto& bound : {&eval_, &train_}) {
    for (const auto& in : bound->program->inputs()) {
      if (in.kind != GraphInput::Kind::kParameter && in.kind != GraphInput::Kind::kBuffer) continue;
      const auto& t = tensors_.at(in.target);
      if (in.kind == GraphInput::Kind::kParameter && seen.insert(t.unsafeGetTensorImpl()).second) {
        parameters_.emplace_back(in.target, t);
        t.requires_grad_(true);
      }
      if (in.kind == GraphInput::Kind::kBuffer && seen.insert(t.unsafeGetTensorImpl()).second) buffers_.emplace_back(in.target, t);
    }
  }
  std::set<std::string> named;
  for (const auto& s : stored_) {
    if (s.record.rfind("data/weights/", 0) == 0 && named.insert(s.name).second) state_.emplace_back(s.name, tensors_.at(s.name));
  }
  CheckSampleInputs(archive);
}

void ExportedNetwork::LoadTensors(const Pt2Archive& archive, const std::string& config_record, const std::string& directory,
                                  Napi::Env env, bool constants) {
  const auto config = ParseJson(env, archive.Text(config_record), file_ + ": " + config_record)["config"];
  // First every entry's metadata, checked, and how many bytes of each record the tensors viewing it reach:
  // a record that declares more is refused before it is inflated.
  std::vector<std::pair<StoredTensor, JsonView>> entries;
  std::map<std::string, size_t> reached;
  for (const auto& name : config.Keys()) {
    const auto entry = config[name.c_str()];
    const auto& s = entries.emplace_back(ReadEntry(archive, name, entry, config_record, directory, constants), entry).first;
    auto& most = reached[s.record];
    most = std::max(most, static_cast<size_t>(s.extent) * c10::elementSize(s.dtype));
  }
  for (const auto& [record, needed] : reached) {
    const size_t declared = archive.Size(record);
    if (declared > needed) {
      throw UserError(file_ + ": " + config_record + ": record '" + record + "' declares " + FormatBytes(static_cast<double>(declared)) +
                          " inflated, but the tensors that view it reach " + std::to_string(needed) + " bytes (a zip bomb, or " +
                          "not an archive torch wrote)",
                      ErrorKind::kCheckpoint);
    }
  }
  std::map<std::string, torch::Tensor> storages;
  for (auto& [s, entry] : entries) {
    const std::string name = s.name;
    // A name seen in another program's config is the tensor already loaded; names viewing the same bytes the
    // same way share one tensor, so tied weights stay tied.
    torch::Tensor tensor;
    const auto loaded = tensors_.find(name);
    if (loaded != tensors_.end()) {
      if (!loaded->second.sizes().equals(s.sizes) || loaded->second.scalar_type() != s.dtype) {
        entry.Fail("'" + name + "' differs between the archive's programs (" + c10::str(loaded->second.sizes()) + " vs " +
                   c10::str(c10::IntArrayRef(s.sizes)) + ")");
      }
      tensor = loaded->second;
    }
    for (const auto& other : stored_) {
      if (!tensor.defined() && other.record == s.record && other.offset == s.offset && other.sizes == s.sizes && other.strides == s.strides) {
        tensor = tensors_.at(other.name);
      }
    }
    if (!tensor.defined() && (s.extent == 0 || s.storage_numel == 0)) {
      tensor = torch::zeros(s.sizes, torch::TensorOptions().dtype(s.dtype));  // written empty: zeros, as torch.export.load reads it
    } else if (!tensor.defined()) {
      auto& storage = storages[s.record];
      if (!storage.defined()) storage = archive.Storage(s.record, s.dtype);
      tensor = storage.as_strided(s.sizes, s.strides, s.offset).clone();
    }
    tensors_[name] = tensor;
    stored_.push_back(std::move(s));
  }
}

ExportedNetwork::StoredTensor ExportedNetwork::ReadEntry(const Pt2Archive& archive, const std::string& name, const JsonView& entry,
                                                         const std::string& config_record, const std::string& directory,
                                                         bool constants) const {
  // What a constant is comes from its entry, not its record's name (torch 2.13 writes tensor_0, tensor_1, ...;
  // older releases tensor_constant0): a custom object has no tensor metadata (custom_obj_N, opaque_obj_N).
  const std::string path = entry["path_name"].String();
  if (constants && (!entry.Has("tensor_meta") || entry["tensor_meta"].IsNull())) {
    throw UserError(file_ + ": " + config_record + ": '" + name + "' (record '" + path + "') is a custom object " +
                        "(a TorchBind class or an opaque Python value), not a tensor: this runtime does not support custom " +
                        "objects; export a model whose forward computes with tensors alone",
                    ErrorKind::kUnsupported);
  }
  if (entry["use_pickle"].Bool()) {
    throw UserError(file_ + ": " + config_record + ": " + entry.path() + ": '" + name + "' is pickled: a tensor subclass (a " +
                        "quantized, sparse or distributed tensor); this runtime reads plain tensors: make it a plain tensor " +
                        "(or a plain nn.Parameter) before exporting", ErrorKind::kUnsupported);
  }
  const auto meta = entry["tensor_meta"];
  if (meta.Has("layout") && LayoutFromSchema(meta["layout"].Int(), meta.path()) != c10::kStrided) {
    meta.Fail("'" + name + "' is not a dense (strided) tensor; this runtime reads dense weights");
  }
  StoredTensor s;
  s.name = name;
  if (path.empty() || path.find("..") != std::string::npos) entry.Fail("'" + name + "' names no record of the archive ('" + path + "')");
  s.record = directory + path;
  s.dtype = ScalarTypeFromSchema(meta["dtype"].Int(), meta.path());
  s.sizes = Ints(meta["sizes"]);
  s.strides = Ints(meta["strides"]);
  s.offset = meta["storage_offset"]["as_int"].Int();
  s.parameter = !constants && entry["is_param"].Bool();
  s.storage_numel = archive.Values(s.record, s.dtype);
  // Sizes, strides and offset as a tensor torch wrote has them; the values they reach counted without overflow.
  const std::string shape = "'" + name + "' (sizes " + c10::str(c10::IntArrayRef(s.sizes)) + ", strides " +
                            c10::str(c10::IntArrayRef(s.strides)) + ", offset " + std::to_string(s.offset) + ")";
  if (s.sizes.size() != s.strides.size() || s.sizes.size() > 64) entry.Fail(shape + " is not a tensor's shape: one stride per dimension, at most 64");
  bool overflow = s.offset < 0;
  int64_t numel = 1, last = s.offset;
  for (size_t d = 0; d < s.sizes.size() && !overflow; ++d) {
    int64_t step = 0;
    overflow = s.sizes[d] < 0 || s.strides[d] < 0 || __builtin_mul_overflow(numel, s.sizes[d], &numel) ||
               (s.sizes[d] > 0 && (__builtin_mul_overflow(s.sizes[d] - 1, s.strides[d], &step) || __builtin_add_overflow(last, step, &last)));
  }
  if (overflow || (numel > 0 && (last == std::numeric_limits<int64_t>::max() ||
                                 (last + 1) > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(c10::elementSize(s.dtype))))) {
    entry.Fail(shape + " is not a tensor's shape: sizes, strides and offset must be non-negative and reach fewer than 2^63 bytes");
  }
  s.extent = numel > 0 ? last + 1 : 0;
  if (s.extent > s.storage_numel && s.storage_numel > 0) {
    entry.Fail(shape + " runs past its storage '" + s.record + "' of " + std::to_string(s.storage_numel) + " values");
  }
  return s;
}

ExportedNetwork::BoundProgram ExportedNetwork::Bind(std::unique_ptr<Program> program, const std::string& name) {
  const std::string where = file_ + ": program '" + name + "'";
  const auto fail = [&](const std::string& why) -> UserError { return UserError(where + ": " + why, ErrorKind::kOption); };
  int user_inputs = 0, weight_slot = -1, bias_slot = -1;
  std::vector<std::string> linears;
  for (const auto& in : program->inputs()) {
    if (in.kind == GraphInput::Kind::kUserInput) {
      ++user_inputs;
      if (in.sizes.empty() || in.sizes[0] >= 0) {
        throw fail("its input was exported with a fixed batch size (" + (in.sizes.empty() ? std::string("a scalar") : std::to_string(in.sizes[0])) +
                   "); pof-torch feeds batches of any size: export with a dynamic batch dimension (python/export_program.py does)");
      }
      if (name == "model") {
        input_dtype_ = in.dtype;
        example_sizes_.assign(in.sizes.begin() + 1, in.sizes.end());
      } else if (in.dtype != input_dtype_) {
        throw fail("takes " + DtypeName(in.dtype) + " inputs where program 'model' takes " + DtypeName(input_dtype_));
      }
      continue;
    }
    if (in.kind != GraphInput::Kind::kConstant && !tensors_.count(in.target)) {
      throw UserError(where + " takes '" + in.target + "', which the archive's weights and constants do not hold", ErrorKind::kCheckpoint);
    }
    if (in.kind == GraphInput::Kind::kParameter && in.target == classifier_ + ".weight") weight_slot = in.slot;
    if (in.kind == GraphInput::Kind::kParameter && in.target == classifier_ + ".bias") bias_slot = in.slot;
  }
  if (user_inputs != 1) throw fail("takes " + std::to_string(user_inputs) + " inputs; pof-torch feeds a model one tensor, the batch");
  for (const auto& [buffer, slot] : program->buffer_mutations()) {
    if (!tensors_.count(buffer)) throw fail("updates a buffer '" + buffer + "' that the archive does not hold");
  }
  const auto& nodes = program->nodes();
  if (weight_slot < 0) {
    for (const auto& in : program->inputs()) {
      if (in.kind != GraphInput::Kind::kParameter || in.target.size() < 7 || in.target.compare(in.target.size() - 7, 7, ".weight") != 0) continue;
      for (const auto& node : nodes) {
        if (node.target == kLinear && node.arguments.size() > 1 && node.arguments[1].slot == in.slot) {
          linears.push_back(in.target.substr(0, in.target.size() - 7));
        }
      }
    }
    throw fail("has no parameter '" + classifier_ + ".weight': classifier must be the dotted path of the model's final " +
               "nn.Linear; its Linear layers are " + CutList(linears));
  }
  std::vector<size_t> users;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (Uses(nodes[i], weight_slot) || (bias_slot >= 0 && Uses(nodes[i], bias_slot))) users.push_back(i);
  }
  if (users.size() != 1) {
    std::vector<std::string> named;
    for (size_t i : users) named.push_back(nodes[i].Describe());
    throw fail("the classifier '" + classifier_ + "' is used by " + std::to_string(users.size()) + " nodes (" + CutList(named, 3) +
               "); PoF perturbs the classifier alone, so it must be one Linear whose weights nothing else uses");
  }
  const GraphNode& linear = nodes[users[0]];
  if (linear.target != kLinear) {
    throw fail("the classifier '" + classifier_ + "' is not applied as an nn.Linear: its weight goes to " + linear.Describe());
  }
  const auto& args = linear.arguments;
  const bool bias_ok = bias_slot >= 0 ? args[2].slot == bias_slot : args[2].kind == NodeArgument::Kind::kConstant && args[2].constant.isNone();
  if (args[0].kind != NodeArgument::Kind::kValue || args[1].slot != weight_slot || !bias_ok) {
    throw fail("the classifier '" + classifier_ + "' is applied in an unexpected way at " + linear.Describe());
  }
  const int logits = linear.outputs.empty() ? -1 : linear.outputs[0].slot;
  for (const auto& node : nodes) {
    if (Uses(node, logits)) {
      throw fail("the classifier '" + classifier_ + "' (" + linear.Describe() + ") is not applied last: its output goes on to " +
                 node.Describe() + "; PoF needs the logits to be the Linear applied to the final features");
    }
  }
  if (logits != program->user_output()) {
    throw fail("the model returns " + program->slot_name(program->user_output()) + ", not the output of the classifier '" +
               classifier_ + "' (" + linear.Describe() + "); PoF needs the logits to be the Linear applied to the final features");
  }
  weight_ = tensors_.at(classifier_ + ".weight");
  bias_ = bias_slot >= 0 ? tensors_.at(classifier_ + ".bias") : torch::Tensor();
  if (weight_.dim() != 2) throw fail("the classifier's weight is " + c10::str(weight_.sizes()) + ", not [classes, features]");
  BoundProgram bound;
  for (const auto& in : program->inputs()) {
    const bool tensor = in.kind != GraphInput::Kind::kUserInput && in.kind != GraphInput::Kind::kConstant;
    bound.inputs.push_back(tensor ? &tensors_.at(in.target) : nullptr);
  }
  for (const auto& [buffer, slot] : program->buffer_mutations()) bound.mutations.emplace_back(&tensors_.at(buffer), slot);
  bound.classifier_node = users[0];
  bound.features_slot = args[0].slot;
  bound.program = std::move(program);
  return bound;
}

void ExportedNetwork::CheckSampleInputs(const Pt2Archive& archive) {
  const auto sample = archive.SampleInputs("model");
  const bool shaped = sample.isTuple() && sample.toTupleRef().elements().size() == 2 && sample.toTupleRef().elements()[0].isTuple();
  const auto args = shaped ? sample.toTupleRef().elements()[0].toTupleRef().elements() : std::vector<c10::IValue>{};
  if (args.size() != 1 || !args[0].isTensor()) {
    throw UserError(file_ + ": its sample inputs are not one tensor (pof-torch feeds a model one tensor, the batch)",
                    ErrorKind::kCheckpoint);
  }
  sample_ = args[0].toTensor().clone();
  if (sample_.scalar_type() != input_dtype_) {
    throw UserError(file_ + ": its sample inputs are " + DtypeName(sample_.scalar_type()) + " but the program takes " +
                        DtypeName(input_dtype_), ErrorKind::kCheckpoint);
  }
  torch::NoGradGuard no_grad;
  training_ = false;
  std::string problem;
  try {
    problem = FeaturesProblem(*this, sample_.size(0), Features(sample_), FeaturesCall());
  } catch (const UserError& e) {
    problem = e.what();
  }
  training_ = true;
  if (!problem.empty()) {
    throw UserError(file_ + ": on its own sample inputs " + c10::str(sample_.sizes()) + " in evaluation mode, " + problem, ErrorKind::kOption);
  }
}

torch::Tensor ExportedNetwork::Run(const BoundProgram& bound, const torch::Tensor& x) {
  const Program& program = *bound.program;
  std::vector<c10::IValue> values(program.slot_count());
  for (size_t i = 0; i < bound.inputs.size(); ++i) {
    const GraphInput& in = program.inputs()[i];
    if (bound.inputs[i]) values[in.slot] = *bound.inputs[i];
    else if (in.kind == GraphInput::Kind::kConstant) values[in.slot] = in.constant;
    // The data checks give it inputs of its dtype's kind (int64 ids or floats): only one float width may need a cast.
    else values[in.slot] = x.is_floating_point() && x.scalar_type() != input_dtype_ ? x.to(input_dtype_) : x;
  }
  program.Run(values, 0, program.nodes().size(), device_, bound.classifier_node);
  if (!bound.mutations.empty()) {
    torch::NoGradGuard no_grad;
    for (const auto& [buffer, slot] : bound.mutations) buffer->copy_(values[slot].toTensor());
  }
  return values[bound.features_slot].toTensor();
}

torch::Tensor ExportedNetwork::Features(const torch::Tensor& x) { return Run(training_ ? train_ : eval_, x); }

torch::Tensor ExportedNetwork::Forward(const torch::Tensor& x) { return torch::linear(Features(x), weight_, bias_); }

bool ExportedNetwork::IsClassifierParameter(const std::string& name) const {
  return name == classifier_ + ".weight" || name == classifier_ + ".bias";
}

void ExportedNetwork::MoveTo(const torch::Device& device) {
  torch::NoGradGuard no_grad;
  // set_data keeps each tensor's identity: the programs, optimizers and tied names still share it.
  for (auto& [name, t] : tensors_) {
    if (t.device() != device) t.set_data(t.to(device));
  }
  sample_ = sample_.to(device);
  device_ = device;
}

void ExportedNetwork::ProbeTraining(const std::vector<int64_t>& batch_sizes, const std::string& phase) {
  pof::ProbeTraining(*this, batch_sizes, phase, "the exported model " + file_, [this](int64_t batch) { return TrainingFailure(batch); });
}

std::string ExportedNetwork::TrainingFailure(int64_t batch) {
  // The archive's own sample inputs, repeated to the batch size: values the model takes (token ids in range).
  const auto rows = torch::arange(batch, torch::TensorOptions().dtype(torch::kLong).device(sample_.device())).remainder(sample_.size(0));
  const auto x = sample_.index_select(0, rows);
  return ProbeRunProblem(*this, x, FeaturesCall());
}

std::string ExportedNetwork::FeaturesCall() const { return "the features (" + classifier_ + "'s input)"; }

std::optional<InputMismatch> ExportedNetwork::CheckInput(c10::IntArrayRef example_shape) const {
  bool same = example_shape.size() == example_sizes_.size();
  for (size_t i = 0; same && i < example_sizes_.size(); ++i) same = example_sizes_[i] < 0 || example_sizes_[i] == example_shape[i];
  if (same) return std::nullopt;
  return InputMismatch{c10::str(example_shape), c10::str(c10::IntArrayRef(example_sizes_)) + " (the exported program's input; -1: any size)"};
}

std::string ExportedNetwork::Description() const {
  return "exported " + file_ + " (input " + c10::str(c10::IntArrayRef(example_sizes_)) + " " + DtypeName(input_dtype_) + ", " +
         std::to_string(num_classes()) + " classes)";
}

std::string ExportedNetwork::Serialized() const {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&out](const void* data, size_t size) {
    out.append(static_cast<const char*>(data), size);
    return size;
  });
  for (const auto& [record, bytes] : records_) writer.writeRecord(record, bytes.data(), bytes.size());
  // Each storage record again, from the tensors that view it (tied names write the same values).
  std::map<std::string, torch::Tensor> storages;
  for (const auto& s : stored_) {
    auto& flat = storages[s.record];
    if (!flat.defined()) flat = torch::zeros({s.storage_numel}, torch::TensorOptions().dtype(s.dtype));
    if (s.storage_numel > 0 && c10::multiply_integers(s.sizes) > 0) {
      flat.as_strided(s.sizes, s.strides, s.offset).copy_(tensors_.at(s.name).detach().cpu());
    }
  }
  for (const auto& [record, flat] : storages) writer.writeRecord(record, flat.data_ptr(), flat.nbytes());
  writer.writeEndOfFile();
  return out;
}

}  // namespace pof
