// One graph of a torch.export program (schema 8.x), compiled to run eagerly through the c10 dispatcher:
// each node's operator is looked up once and each of its arguments bound, in the schema's order, to a
// constant or to a value slot. Running calls the same ATen kernels eager PyTorch calls, with autograd
// recording as it does, and no Python between them.
#pragma once
#include <ATen/core/dispatch/Dispatcher.h>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>
#include "models/exported/json_view.h"

namespace pof {

// Where a node takes one argument from.
struct NodeArgument {
  enum class Kind {
    kConstant,        // a value fixed in the graph
    kValue,           // a slot (a tensor, a SymInt, ...)
    kWrappedNumber,   // a slot holding a number where the schema wants a Tensor
    kTensorList,      // slots -> Tensor[]
    kOptionalTensors, // slots, -1 for None -> Tensor?[]
    kIntList,         // slots, -1 for the constant in ints at that place -> SymInt[]
    kDevice,          // the device the network runs on (graphs record the device they were exported on)
  };
  Kind kind = Kind::kConstant;
  c10::IValue constant;
  int slot = -1;
  std::vector<int> slots;
  std::vector<int64_t> ints;
};

// Where a node puts one of its results.
struct NodeOutput {
  int slot = -1;           // one value; -1 when it is not kept (None)
  std::vector<int> slots;  // a Tensor[] result spread over slots
  bool list = false;
};

// A Python operator on SymInts (_operator.mul on a batch size, ...), computed here.
enum class Builtin { kNone, kAdd, kSub, kMul, kFloorDiv, kTrueDiv, kMod, kNeg, kEq, kNe, kLt, kLe, kGt, kGe, kSymFloat, kSymInt, kSymMax, kSymMin };

struct GraphNode {
  std::string name, target;
  std::string source;  // the model's own line that made it, from the node's stack trace ("" if none)
  std::optional<c10::OperatorHandle> op;
  Builtin builtin = Builtin::kNone;
  std::vector<NodeArgument> arguments;
  std::vector<NodeOutput> outputs;
  // A training-mode batch_norm: one value per channel is refused, as torch.nn.functional.batch_norm refuses it
  // in Python (ATen itself would normalise it to zeros).
  bool batch_norm_training = false;
  // "node conv2d_3 (aten.conv2d.default, from net.py:29 `x = self.conv(x)`)", for errors.
  std::string Describe() const;
};

// What a placeholder of the graph is bound to at the start of a run.
struct GraphInput {
  enum class Kind { kParameter, kBuffer, kTensorConstant, kUserInput, kConstant };
  Kind kind;
  std::string target;  // the state-dict or constant name; "" for a user input
  int slot = -1;
  c10::IValue constant;  // kConstant
  bool persistent = true;  // kBuffer
  // kUserInput: the declared dtype and sizes (-1 for a symbolic size, such as a dynamic batch).
  c10::ScalarType dtype = c10::kFloat;
  std::vector<int64_t> sizes;
};

class Program {
 public:
  // graph_module: a program's "graph_module" member.
  // `allowed`: the operators (and Python builtins) the graph may use, as "aten.add.Tensor" / "_operator.add";
  // any other is refused here, before a node runs.
  Program(const JsonView& graph_module, const std::unordered_set<std::string>& allowed);
  // The most nodes a graph may have: a bound on the work an archive can ask for while it is read.
  static constexpr uint32_t kMaxNodes = 200000;

  const std::vector<GraphInput>& inputs() const { return inputs_; }
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  int user_output() const { return user_output_; }
  // Buffers a graph returns as new values rather than updating in place (BUFFER_MUTATION outputs): name, slot.
  const std::vector<std::pair<std::string, int>>& buffer_mutations() const { return buffer_mutations_; }
  size_t slot_count() const { return slot_names_.size(); }
  const std::string& slot_name(int slot) const { return slot_names_[slot]; }
  // The slot of a named value; -1 when the graph has none.
  int SlotOf(const std::string& name) const;

  // Runs the nodes in [begin, end) except `skip` on `values` (slot_count() long, inputs placed); an error
  // names the node, its operator and the model's line.
  void Run(std::vector<c10::IValue>& values, size_t begin, size_t end, const c10::Device& device, size_t skip = SIZE_MAX) const;

 private:
  int Slot(const std::string& name);
  GraphNode CompileNode(const JsonView& node, const std::unordered_set<std::string>& allowed);
  void CheckDefinedBeforeUse(const JsonView& graph) const;
  NodeArgument CompileArgument(const JsonView& arg, const c10::Argument& schema, const GraphNode& node);
  std::vector<NodeOutput> CompileOutputs(const JsonView& outputs);
  GraphInput CompileInput(const JsonView& spec, const JsonView& graph);
  std::vector<GraphInput> inputs_;
  std::vector<GraphNode> nodes_;
  std::vector<std::string> slot_names_;
  std::unordered_map<std::string, int> slots_;
  int user_output_ = -1;
  std::vector<std::pair<std::string, int>> buffer_mutations_;
};

}  // namespace pof
