#include "models/exported/program.h"
#include <ATen/ScalarOps.h>
#include <torch/headeronly/version.h>
#include <cmath>
#include <limits>
#include "errors.h"
#include "models/exported/schema_enums.h"

namespace pof {

namespace {

// The model's own line that made a node, from its stack trace (outermost frame first): the innermost frame
// outside torch's own sources, e.g. "net.py:29 `x = self.conv(x)`"; "" when the node has no trace.
std::string SourceLine(const JsonView& node) {
  if (!node.Has("metadata") || !node["metadata"].Has("stack_trace")) return "";
  const std::string trace = node["metadata"]["stack_trace"].String();
  std::string first, own;
  for (size_t at = trace.find("File \""); at != std::string::npos; at = trace.find("File \"", at + 1)) {
    const size_t path_end = trace.find('"', at + 6), line = trace.find("line ", path_end);
    if (path_end == std::string::npos || line == std::string::npos) break;
    const std::string path = trace.substr(at + 6, path_end - at - 6);
    std::string frame = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1) + ":" +
                        trace.substr(line + 5, trace.find_first_not_of("0123456789", line + 5) - line - 5);
    const size_t code = trace.find('\n', line);
    if (code != std::string::npos) {
      const size_t start = trace.find_first_not_of(' ', code + 1), stop = trace.find('\n', code + 1);
      if (start != std::string::npos && start < stop) frame += " `" + trace.substr(start, stop - start) + "`";
    }
    if (first.empty()) first = frame;
    if (path.find("/torch/") == std::string::npos) own = frame;
  }
  return own.empty() ? first : own;
}

Builtin BuiltinOf(const std::string& target) {
  static const std::unordered_map<std::string, Builtin> builtins{
      {"_operator.add", Builtin::kAdd},       {"_operator.sub", Builtin::kSub},   {"_operator.mul", Builtin::kMul},
      {"_operator.floordiv", Builtin::kFloorDiv}, {"_operator.truediv", Builtin::kTrueDiv}, {"_operator.mod", Builtin::kMod},
      {"_operator.neg", Builtin::kNeg},       {"_operator.eq", Builtin::kEq},     {"_operator.ne", Builtin::kNe},
      {"_operator.lt", Builtin::kLt},         {"_operator.le", Builtin::kLe},     {"_operator.gt", Builtin::kGt},
      {"_operator.ge", Builtin::kGe},         {"torch.sym_float", Builtin::kSymFloat}, {"torch.sym_int", Builtin::kSymInt},
      {"torch.sym_max", Builtin::kSymMax},    {"torch.sym_min", Builtin::kSymMin}};
  const auto it = builtins.find(target);
  return it == builtins.end() ? Builtin::kNone : it->second;
}

// A float becomes an integer size only when it is finite and in range.
int64_t FloatToInt(double x) {
  if (!std::isfinite(x) || x >= 9.2233720368547758e18 || x < -9.2233720368547758e18) {
    throw std::runtime_error("a size computed as " + c10::str(x) + " is not a 64-bit integer");
  }
  return static_cast<int64_t>(x);
}

// Python's arithmetic on the ints and floats of SymInt expressions.
c10::IValue Compute(Builtin op, const torch::jit::Stack& args) {
  const auto& a = args.at(0);
  const bool ints = a.isInt() && (args.size() < 2 || args[1].isInt());
  const double x = a.toScalar().toDouble(), y = args.size() > 1 ? args[1].toScalar().toDouble() : 0;
  const int64_t i = ints ? a.toInt() : 0, j = ints && args.size() > 1 ? args[1].toInt() : 0;
  const auto number = [&](int64_t as_int, double as_double) { return ints ? c10::IValue(as_int) : c10::IValue(as_double); };
  // Integer results checked: an archive's own numbers must not overflow (undefined behaviour) nor divide
  // INT64_MIN by -1 (SIGFPE). `r` is read after the call that writes it.
  int64_t r = 0;
  const auto checked = [&r](bool overflowed, const char* what) {
    if (overflowed) throw std::runtime_error(std::string("the size arithmetic overflows 64-bit integers (") + what + ")");
    return c10::IValue(r);
  };
  switch (op) {
    case Builtin::kAdd: return ints ? checked(__builtin_add_overflow(i, j, &r), "add") : c10::IValue(x + y);
    case Builtin::kSub: return ints ? checked(__builtin_sub_overflow(i, j, &r), "sub") : c10::IValue(x - y);
    case Builtin::kMul: return ints ? checked(__builtin_mul_overflow(i, j, &r), "mul") : c10::IValue(x * y);
    case Builtin::kFloorDiv: {
      if (y == 0) throw std::runtime_error("integer division by zero");
      if (!ints) return c10::IValue(std::floor(x / y));
      checked(i == std::numeric_limits<int64_t>::min() && j == -1, "floordiv");
      const int64_t q = i / j;
      return c10::IValue((i % j != 0 && ((i < 0) != (j < 0))) ? q - 1 : q);  // Python's floor, exactly
    }
    case Builtin::kTrueDiv: return c10::IValue(x / y);
    case Builtin::kMod:
      if (y == 0) throw std::runtime_error("modulo by zero");
      if (!ints) return c10::IValue(x - std::floor(x / y) * y);
      if (j == -1) return c10::IValue(int64_t{0});  // INT64_MIN % -1 traps
      r = i % j;
      return c10::IValue(r != 0 && ((r < 0) != (j < 0)) ? r + j : r);  // Python's sign: the divisor's
    case Builtin::kNeg: return ints ? checked(__builtin_sub_overflow(int64_t{0}, i, &r), "neg") : c10::IValue(-x);
    case Builtin::kEq: return c10::IValue(x == y);
    case Builtin::kNe: return c10::IValue(x != y);
    case Builtin::kLt: return c10::IValue(x < y);
    case Builtin::kLe: return c10::IValue(x <= y);
    case Builtin::kGt: return c10::IValue(x > y);
    case Builtin::kGe: return c10::IValue(x >= y);
    case Builtin::kSymFloat: return c10::IValue(x);
    case Builtin::kSymInt: return c10::IValue(a.isInt() ? a.toInt() : FloatToInt(x));
    case Builtin::kSymMax: return number(std::max(i, j), std::max(x, y));
    case Builtin::kSymMin: return number(std::min(i, j), std::min(x, y));
    case Builtin::kNone: break;
  }
  throw std::logic_error("unknown builtin");
}

// A number where the schema wants a Tensor, as Python passes it: a 0-dim wrapped number, which type
// promotion treats as a Python scalar (x * 0.5 stays float32).
at::Tensor WrappedNumber(const c10::Scalar& value) {
  auto t = c10::scalar_to_tensor(value);
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

bool WantsTensor(const c10::Argument& schema) {
  auto type = schema.type();
  if (auto optional = type->cast<c10::OptionalType>()) type = optional->getElementType();
  return type->kind() == c10::TypeKind::TensorType;
}

// A plain constant argument ({"as_int": 3}, ...), for operators and for builtins.
std::optional<c10::IValue> Constant(const std::string& kind, const JsonView& v) {
  if (kind == "as_none") return c10::IValue();
  if (kind == "as_int") return c10::IValue(v.Int());
  if (kind == "as_float") return c10::IValue(v.Number());
  if (kind == "as_bool") return c10::IValue(v.Bool());
  if (kind == "as_string") return c10::IValue(v.String());
  if (kind == "as_ints") {
    std::vector<int64_t> ints;
    for (uint32_t i = 0; i < v.Size(); ++i) ints.push_back(v.At(i).Int());
    return c10::IValue(ints);
  }
  if (kind == "as_floats") {
    std::vector<double> floats;
    for (uint32_t i = 0; i < v.Size(); ++i) floats.push_back(v.At(i).Number());
    return c10::IValue(floats);
  }
  if (kind == "as_bools") {
    c10::List<bool> bools;
    for (uint32_t i = 0; i < v.Size(); ++i) bools.push_back(v.At(i).Bool());
    return c10::IValue(bools);
  }
  if (kind == "as_strings") {
    std::vector<std::string> strings;
    for (uint32_t i = 0; i < v.Size(); ++i) strings.push_back(v.At(i).String());
    return c10::IValue(strings);
  }
  if (kind == "as_scalar_type") return c10::IValue(static_cast<int64_t>(ScalarTypeFromSchema(v.Int(), v.path())));
  if (kind == "as_layout") return c10::IValue(static_cast<int64_t>(LayoutFromSchema(v.Int(), v.path())));
  if (kind == "as_memory_format") return c10::IValue(static_cast<int64_t>(MemoryFormatFromSchema(v.Int(), v.path())));
  return std::nullopt;
}

// Whether a constant from the graph is of the type the operator's schema gives its argument (the dispatcher
// asserts on a mismatch, with LibTorch's internal text): numbers as Python passes them, dtype/layout as ints.
bool FitsArgument(const c10::IValue& v, const c10::Argument& schema) {
  auto type = schema.type();
  if (auto optional = type->cast<c10::OptionalType>()) {
    if (v.isNone()) return true;
    type = optional->getElementType();
  }
  if (v.isTensor()) return type->kind() == c10::TypeKind::TensorType;
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return false;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return v.isInt();
    case c10::TypeKind::FloatType:
    case c10::TypeKind::SymFloatType: return v.isDouble() || v.isInt();
    case c10::TypeKind::BoolType:
    case c10::TypeKind::SymBoolType: return v.isBool();
    case c10::TypeKind::NumberType: return v.isInt() || v.isDouble() || v.isBool();
    case c10::TypeKind::StringType: return v.isString();
    case c10::TypeKind::ListType: {
      const auto element = type->containedType(0)->kind();
      if (element == c10::TypeKind::IntType || element == c10::TypeKind::SymIntType) return v.isIntList();
      if (element == c10::TypeKind::FloatType) return v.isDoubleList() || v.isIntList();
      if (element == c10::TypeKind::BoolType) return v.isBoolList();
      if (element == c10::TypeKind::StringType) return v.isList();
      return !v.isString();
    }
    default: return true;  // the operator's own checks judge the rest
  }
}

void CheckBatchNormInput(const at::Tensor& x) {
  if (x.dim() >= 2 && x.size(1) > 0 && x.numel() / x.size(1) == 1) {
    throw std::runtime_error("Expected more than 1 value per channel when training, got input size " + c10::str(x.sizes()));
  }
}

}  // namespace

std::string GraphNode::Describe() const {
  std::string op = target.rfind("torch.ops.", 0) == 0 ? target.substr(10) : target;
  return "node " + name + " (" + op + (source.empty() ? "" : ", from " + source) + ")";
}

int Program::Slot(const std::string& name) {
  const auto it = slots_.find(name);
  if (it != slots_.end()) return it->second;
  slot_names_.push_back(name);
  return slots_[name] = static_cast<int>(slot_names_.size() - 1);
}

int Program::SlotOf(const std::string& name) const {
  const auto it = slots_.find(name);
  return it == slots_.end() ? -1 : it->second;
}

Program::Program(const JsonView& graph_module, const std::unordered_set<std::string>& allowed) {
  const auto graph = graph_module["graph"];
  const auto signature = graph_module["signature"];
  const auto specs = signature["input_specs"];
  for (uint32_t i = 0; i < specs.Size(); ++i) inputs_.push_back(CompileInput(specs.At(i), graph));
  const auto nodes = graph["nodes"];
  if (nodes.Size() > kMaxNodes) {
    nodes.Fail("the graph has " + std::to_string(nodes.Size()) + " nodes, more than the " + std::to_string(kMaxNodes) +
               " this runtime reads (the largest networks exported have tens of thousands)");
  }
  for (uint32_t i = 0; i < nodes.Size(); ++i) nodes_.push_back(CompileNode(nodes.At(i), allowed));
  const auto outputs = signature["output_specs"];
  int user_outputs = 0;
  for (uint32_t i = 0; i < outputs.Size(); ++i) {
    const auto spec = outputs.At(i);
    const std::string kind = spec.UnionKind();
    if (kind == "user_output") {
      const auto arg = spec[kind.c_str()]["arg"];
      if (arg.UnionKind() != "as_tensor") arg.Fail("the model must return its logits, a tensor; it returns a " + arg.UnionKind());
      user_output_ = Slot(arg["as_tensor"]["name"].String());
      ++user_outputs;
    } else if (kind == "buffer_mutation") {
      buffer_mutations_.emplace_back(spec[kind.c_str()]["buffer_name"].String(), Slot(spec[kind.c_str()]["arg"]["name"].String()));
    } else {
      spec.Fail("an output of kind '" + kind + "' (the graph mutates its inputs or returns gradients) is not one this " +
                "runtime runs: export the model's forward alone");
    }
  }
  if (user_outputs != 1) {
    outputs.Fail("the model returns " + std::to_string(user_outputs) + " values; PoF needs one, the logits [N, classes]");
  }
  CheckDefinedBeforeUse(graph);
}

void Program::CheckDefinedBeforeUse(const JsonView& graph) const {
  // Every value a node takes is an input's or an earlier node's: the interpreter never reads an empty slot.
  std::vector<bool> defined(slot_names_.size(), false);
  for (const auto& in : inputs_) defined[in.slot] = true;
  const auto need = [&](int slot, const std::string& where) {
    if (slot >= 0 && !defined[slot]) {
      graph.Fail(where + " takes '" + slot_names_[slot] + "', which no input or earlier node computes (not a graph torch.export wrote)");
    }
  };
  for (const auto& node : nodes_) {
    for (const auto& a : node.arguments) {
      need(a.slot, node.Describe());
      for (int s : a.slots) need(s, node.Describe());
    }
    for (const auto& o : node.outputs) {
      if (o.slot >= 0) defined[o.slot] = true;
      for (int s : o.slots) if (s >= 0) defined[s] = true;
    }
  }
  need(user_output_, "the program's output");
  for (const auto& [buffer, slot] : buffer_mutations_) need(slot, "the update of buffer '" + buffer + "'");
}

GraphInput Program::CompileInput(const JsonView& spec, const JsonView& graph) {
  const std::string kind = spec.UnionKind();
  const auto body = spec[kind.c_str()];
  GraphInput in;
  if (kind == "parameter") {
    in.kind = GraphInput::Kind::kParameter;
    in.target = body["parameter_name"].String();
    in.slot = Slot(body["arg"]["name"].String());
  } else if (kind == "buffer") {
    in.kind = GraphInput::Kind::kBuffer;
    in.target = body["buffer_name"].String();
    in.persistent = !body.Has("persistent") || body["persistent"].Bool();
    in.slot = Slot(body["arg"]["name"].String());
  } else if (kind == "tensor_constant") {
    in.kind = GraphInput::Kind::kTensorConstant;
    in.target = body["tensor_constant_name"].String();
    in.slot = Slot(body["arg"]["name"].String());
  } else if (kind == "user_input") {
    const auto arg = body["arg"];
    if (arg.UnionKind() != "as_tensor") {
      arg.Fail("the model takes a " + arg.UnionKind() + " input; pof-torch feeds it one tensor, the batch");
    }
    in.kind = GraphInput::Kind::kUserInput;
    const std::string name = arg["as_tensor"]["name"].String();
    in.slot = Slot(name);
    const auto meta = graph["tensor_values"][name.c_str()];
    in.dtype = ScalarTypeFromSchema(meta["dtype"].Int(), meta.path());
    const auto sizes = meta["sizes"];
    for (uint32_t i = 0; i < sizes.Size(); ++i) in.sizes.push_back(sizes.At(i).Has("as_int") ? sizes.At(i)["as_int"].Int() : -1);
  } else if (kind == "constant_input") {
    in.kind = GraphInput::Kind::kConstant;
    in.slot = Slot(body["name"].String());
    const auto value = body["value"];
    const std::string value_kind = value.UnionKind();
    auto constant = Constant(value_kind, value[value_kind.c_str()]);
    if (!constant) value.Fail("a constant input of kind '" + value_kind + "' is not one this runtime takes");
    in.constant = *constant;
  } else {
    spec.Fail("an input of kind '" + kind + "' (custom objects, effect tokens) is not one this runtime runs");
  }
  return in;
}

GraphNode Program::CompileNode(const JsonView& json, const std::unordered_set<std::string>& allowed) {
  GraphNode node;
  node.name = json["name"].String();
  node.target = json["target"].String();
  node.source = SourceLine(json);
  const auto inputs = json["inputs"];
  const auto fail = [&](const std::string& why) { throw UserError(node.Describe() + ": " + why, ErrorKind::kOption); };
  if (node.target.rfind("torch.ops.higher_order.", 0) == 0) {
    throw UserError(node.Describe() + ": a higher-order operator (control flow, a nested graph) is not one this runtime runs; " +
                        "export without it (no torch.cond, torch.no_grad or autocast regions inside forward)",
                    ErrorKind::kUnsupported);
  }
  const bool op = node.target.rfind("torch.ops.", 0) == 0;
  const std::string listed = op ? node.target.substr(10) : node.target;
  if (!allowed.count(listed)) {
    if (op && listed.rfind("aten.", 0) != 0 && listed.rfind("prims.", 0) != 0) {
      throw UserError(node.Describe() + ": the operator " + listed + " is a custom operator (namespace " +
                          listed.substr(0, listed.find('.')) + "); a .pt2 may use ATen operators only (the list is " +
                          "lib/exported-operators.json): export the model with the operator written in torch's own operations",
                      ErrorKind::kUnsupported);
    }
    throw UserError(node.Describe() + ": the operator " + listed + " is not one a .pt2 may use here (an archive is data: it " +
                        "computes with tensors, and reaches no file, process or network; the list is lib/exported-operators.json); " +
                        "if it is a pure computation, allow it with models.exported({ allowOperators: ['" + listed +
                        "'] }) or --allow-operator " + listed,
                    ErrorKind::kUnsupported);
  }
  if (op) {
    const std::string& qualified = listed;
    const size_t dot = qualified.find('.'), last = qualified.rfind('.');
    if (dot == std::string::npos || last == dot) fail("cannot read the operator name '" + node.target + "'");
    const std::string name = qualified.substr(0, dot) + "::" + qualified.substr(dot + 1, last - dot - 1);
    const std::string overload = qualified.substr(last + 1) == "default" ? "" : qualified.substr(last + 1);
    node.op = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!node.op) {
      fail("the operator " + name + (overload.empty() ? "" : "." + overload) + " is not registered in this LibTorch (" +
           TORCH_VERSION + "): a custom operator whose library is not loaded, or one newer than this LibTorch");
    }
    const auto& schema = node.op->schema();
    std::unordered_map<std::string, JsonView> given;
    for (uint32_t i = 0; i < inputs.Size(); ++i) given.emplace(inputs.At(i)["name"].String(), inputs.At(i)["arg"]);
    for (const auto& argument : schema.arguments()) {
      const auto it = given.find(argument.name());
      if (it != given.end()) {
        node.arguments.push_back(CompileArgument(it->second, argument, node));
        given.erase(it);
      } else if (argument.default_value()) {
        node.arguments.push_back({NodeArgument::Kind::kConstant, *argument.default_value()});
      } else if (argument.type()->kind() == c10::TypeKind::OptionalType) {
        node.arguments.push_back({NodeArgument::Kind::kConstant, c10::IValue()});
      } else {
        fail("the graph does not give the argument '" + argument.name() + "' of " + c10::toString(schema));
      }
    }
    if (!given.empty()) fail("the graph gives an argument '" + given.begin()->first + "' that " + c10::toString(schema) + " does not take");
    const auto& training = node.arguments.size() > 5 ? node.arguments[5] : NodeArgument{};
    node.batch_norm_training = node.target == "torch.ops.aten.batch_norm.default" && training.kind == NodeArgument::Kind::kConstant &&
                               training.constant.isBool() && training.constant.toBool();
  } else {
    node.builtin = BuiltinOf(node.target);
    if (node.builtin == Builtin::kNone) fail("the Python function " + node.target + " in the graph is not one this runtime runs");
    static const c10::Argument any("x", c10::NumberType::get());
    for (uint32_t i = 0; i < inputs.Size(); ++i) node.arguments.push_back(CompileArgument(inputs.At(i)["arg"], any, node));
  }
  node.outputs = CompileOutputs(json["outputs"]);
  return node;
}

NodeArgument Program::CompileArgument(const JsonView& arg, const c10::Argument& schema, const GraphNode& node) {
  const std::string kind = arg.UnionKind();
  const auto v = arg[kind.c_str()];
  const bool wants_tensor = WantsTensor(schema);
  NodeArgument out;
  // A SymInt/SymFloat/SymBool: a name of a value computed in the graph, or a constant.
  const auto symbolic = [&](const JsonView& s) {
    const std::string which = s.UnionKind();
    NodeArgument a;
    if (which == "as_name") {
      a.kind = wants_tensor ? NodeArgument::Kind::kWrappedNumber : NodeArgument::Kind::kValue;
      a.slot = Slot(s[which.c_str()].String());
    } else {
      auto c = Constant(which, s[which.c_str()]);
      if (!c) s.Fail("expected a name or a number");
      a.constant = wants_tensor ? c10::IValue(WrappedNumber(c->toScalar())) : *c;
    }
    return a;
  };
  if (kind == "as_tensor") {
    out.kind = NodeArgument::Kind::kValue;
    out.slot = Slot(v["name"].String());
  } else if (kind == "as_optional_tensor") {
    return v.UnionKind() == "as_tensor" ? NodeArgument{NodeArgument::Kind::kValue, {}, Slot(v["as_tensor"]["name"].String())}
                                        : NodeArgument{};
  } else if (kind == "as_tensors") {
    out.kind = NodeArgument::Kind::kTensorList;
    for (uint32_t i = 0; i < v.Size(); ++i) out.slots.push_back(Slot(v.At(i)["name"].String()));
  } else if (kind == "as_optional_tensors") {
    out.kind = NodeArgument::Kind::kOptionalTensors;
    for (uint32_t i = 0; i < v.Size(); ++i) {
      const auto item = v.At(i);
      out.slots.push_back(item.UnionKind() == "as_tensor" ? Slot(item["as_tensor"]["name"].String()) : -1);
    }
  } else if (kind == "as_sym_int" || kind == "as_sym_float" || kind == "as_sym_bool") {
    return symbolic(v);
  } else if (kind == "as_sym_ints") {
    out.kind = NodeArgument::Kind::kIntList;
    bool constant = true;
    for (uint32_t i = 0; i < v.Size(); ++i) {
      const auto item = v.At(i);
      const bool named = item.UnionKind() == "as_name";
      constant = constant && !named;
      out.slots.push_back(named ? Slot(item["as_name"].String()) : -1);
      out.ints.push_back(named ? 0 : item["as_int"].Int());
    }
    if (constant) return {NodeArgument::Kind::kConstant, c10::IValue(out.ints)};
  } else if (kind == "as_device") {
    out.kind = NodeArgument::Kind::kDevice;
  } else if (kind == "as_graph") {
    throw UserError(node.Describe() + ": a nested graph argument (a higher-order operator) is not one this runtime runs",
                    ErrorKind::kUnsupported);
  } else if (auto c = Constant(kind, v)) {
    out.constant = wants_tensor && (c->isInt() || c->isDouble() || c->isBool()) ? c10::IValue(WrappedNumber(c->toScalar())) : *c;
    if (!FitsArgument(out.constant, schema)) {
      throw UserError(node.Describe() + ": its argument '" + schema.name() + "' is given as " + kind + " where the operator takes " +
                          schema.type()->str() + " (not a graph torch.export wrote)",
                      ErrorKind::kCheckpoint);
    }
  } else {
    throw UserError(node.Describe() + ": an argument of kind '" + kind + "' (" + schema.name() + ") is not one this runtime runs",
                    ErrorKind::kOption);
  }
  return out;
}

std::vector<NodeOutput> Program::CompileOutputs(const JsonView& outputs) {
  std::vector<NodeOutput> out;
  for (uint32_t i = 0; i < outputs.Size(); ++i) {
    const auto o = outputs.At(i);
    const std::string kind = o.UnionKind();
    const auto v = o[kind.c_str()];
    NodeOutput r;
    if (kind == "as_tensor") {
      r.slot = Slot(v["name"].String());
    } else if (kind == "as_tensors") {
      r.list = true;
      for (uint32_t j = 0; j < v.Size(); ++j) r.slots.push_back(Slot(v.At(j)["name"].String()));
    } else if (kind == "as_sym_int" || kind == "as_sym_float" || kind == "as_sym_bool") {
      if (v.UnionKind() == "as_name") r.slot = Slot(v["as_name"].String());
    } else if (kind == "as_optional_tensors") {
      r.list = true;
      for (uint32_t j = 0; j < v.Size(); ++j) {
        r.slots.push_back(v.At(j).UnionKind() == "as_tensor" ? Slot(v.At(j)["as_tensor"]["name"].String()) : -1);
      }
    } else if (kind != "as_none") {
      o.Fail("an output of kind '" + kind + "' is not one this runtime keeps");
    }
    out.push_back(std::move(r));
  }
  return out;
}

void Program::Run(std::vector<c10::IValue>& values, size_t begin, size_t end, const c10::Device& device, size_t skip) const {
  size_t i = begin;
  torch::jit::Stack stack;
  try {
    for (; i < end; ++i) {
      if (i == skip) continue;
      const GraphNode& node = nodes_[i];
      stack.clear();
      for (const auto& a : node.arguments) {
        switch (a.kind) {
          case NodeArgument::Kind::kConstant: stack.push_back(a.constant); break;
          case NodeArgument::Kind::kValue: stack.push_back(values[a.slot]); break;
          case NodeArgument::Kind::kWrappedNumber: stack.push_back(WrappedNumber(values[a.slot].toScalar())); break;
          case NodeArgument::Kind::kTensorList: {
            c10::List<at::Tensor> list;
            list.reserve(a.slots.size());
            for (int s : a.slots) list.push_back(values[s].toTensor());
            stack.push_back(std::move(list));
            break;
          }
          case NodeArgument::Kind::kOptionalTensors: {
            c10::List<std::optional<at::Tensor>> list;
            for (int s : a.slots) list.push_back(s < 0 ? std::optional<at::Tensor>() : values[s].toTensor());
            stack.push_back(std::move(list));
            break;
          }
          case NodeArgument::Kind::kIntList: {
            std::vector<int64_t> ints = a.ints;
            for (size_t k = 0; k < ints.size(); ++k) {
              if (a.slots[k] >= 0) ints[k] = values[a.slots[k]].toInt();
            }
            stack.push_back(std::move(ints));
            break;
          }
          case NodeArgument::Kind::kDevice: stack.push_back(device); break;
        }
      }
      if (node.batch_norm_training) CheckBatchNormInput(stack[0].toTensor());
      if (node.op) {
        node.op->callBoxed(stack);
      } else {
        auto result = Compute(node.builtin, stack);
        stack.assign(1, std::move(result));
      }
      for (size_t k = 0; k < node.outputs.size() && k < stack.size(); ++k) {
        const NodeOutput& o = node.outputs[k];
        if (!o.list) {
          if (o.slot >= 0) values[o.slot] = std::move(stack[k]);
          continue;
        }
        const auto list = stack[k].toList();
        for (size_t j = 0; j < o.slots.size() && j < list.size(); ++j) {
          if (o.slots[j] >= 0) values[o.slots[j]] = list.get(j);
        }
      }
    }
  } catch (const c10::OutOfMemoryError&) {
    throw;  // the device's limit: a DeviceError
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    if (IsAllocationFailure(e.what())) throw;
    throw UserError("the exported model failed at " + nodes_[i].Describe() + ": " + ModelMessage(e.what()), ErrorKind::kOption);
  }
}

}  // namespace pof
