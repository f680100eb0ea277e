#include "distributed/process_group_wrap.h"
#include "addon_data.h"
#include "async.h"
#include "js_args.h"
#include "tensor.h"
#include <cstring>
#include <functional>

namespace pof {

namespace {

ReduceOp ParseReduceOp(const std::string& op) {
  if (op == "sum") return ReduceOp::kSum;
  if (op == "min") return ReduceOp::kMin;
  if (op == "max") return ReduceOp::kMax;
  throw UserError("reduce op must be 'sum', 'min' or 'max', got '" + op + "'");
}

// A Float64Array's values as a CPU tensor of their own (the array may be collected meanwhile).
torch::Tensor Float64Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw UserError(std::string(what) + " must be a Float64Array");
  }
  auto array = info[i].As<Napi::Float64Array>();
  auto* data = const_cast<uint8_t*>(TypedArrayBytes(array, what));  // refuses a shared or detached buffer
  return torch::from_blob(data, {static_cast<int64_t>(array.ElementLength())}, torch::kFloat64).clone();
}

Napi::Value Float64ArrayOf(Napi::Env env, const torch::Tensor& t) {
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(t.numel()));
  std::memcpy(out.Data(), t.data_ptr<double>(), static_cast<size_t>(t.numel()) * sizeof(double));
  return out;
}

// A collective on `values` off the main thread (it waits for the slowest rank); resolves with the result.
Napi::Promise ValuesThrough(Napi::Env env, std::shared_ptr<Communicator> communicator, torch::Tensor values,
                            std::function<void(Communicator&, const torch::Tensor&)> collective) {
  return PromiseWorker<torch::Tensor>::Start(
      env, [communicator, values, collective]() { collective(*communicator, values); return values; },
      [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return Float64ArrayOf(env, t); });
}

// connectProcessGroup({ rank, worldSize, masterAddr, masterPort, backend, timeoutMs, agentStore, restartCount })
Napi::Value ConnectProcessGroupJs(const Napi::CallbackInfo& info) {
  auto o = ObjectArg(info, 0, "process group options");
  ProcessGroupOptions options;
  options.rank = IntField(o, "rank");
  options.world_size = IntField(o, "worldSize");
  options.master_addr = StringField(o, "masterAddr");
  options.master_port = IntField(o, "masterPort");
  options.backend = StringField(o, "backend");
  options.timeout = std::chrono::milliseconds(IntField(o, "timeoutMs"));
  options.agent_store = BoolField(o, "agentStore");
  options.restart_count = IntField(o, "restartCount");
  options.Validate();
  return PromiseWorker<std::shared_ptr<Communicator>>::Start(
      info.Env(), [options]() { return ConnectProcessGroup(options); },
      [](Napi::Env env, std::shared_ptr<Communicator>& c) -> Napi::Value { return ProcessGroupWrap::New(env, c); });
}

}  // namespace

Napi::Function ProcessGroupWrap::Init(Napi::Env env) {
  return DefineClass(env, "ProcessGroup",
                     {Getter<&ProcessGroupWrap::Rank>("rank"), Getter<&ProcessGroupWrap::WorldSize>("worldSize"),
                      Getter<&ProcessGroupWrap::Backend>("backend"), JsMethod<&ProcessGroupWrap::Barrier>("barrier"),
                      JsMethod<&ProcessGroupWrap::AllReduce>("allReduce"),
                      JsMethod<&ProcessGroupWrap::Broadcast>("broadcast")});
}

// Made by connectProcessGroup only.
ProcessGroupWrap::ProcessGroupWrap(const Napi::CallbackInfo& info) : GuardedObjectWrap<ProcessGroupWrap>(info) {}

Napi::Object ProcessGroupWrap::New(Napi::Env env, std::shared_ptr<Communicator> communicator) {
  Napi::Object object = Data(env).process_group.New({});
  Unwrap(object)->communicator_ = std::move(communicator);
  return object;
}

std::shared_ptr<Communicator> ProcessGroupWrap::FromJs(const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Data(value.Env()).process_group.Value())) {
    throw UserError("expected a ProcessGroup (from connectProcessGroup)");
  }
  auto& communicator = Unwrap(value.As<Napi::Object>())->communicator_;
  if (!communicator) throw UserError("this ProcessGroup was not made by connectProcessGroup");
  return communicator;
}

Communicator& ProcessGroupWrap::Get() const {
  if (!communicator_) throw UserError("this ProcessGroup was not made by connectProcessGroup");
  return *communicator_;
}

Napi::Value ProcessGroupWrap::Rank(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Get().rank()));
}

Napi::Value ProcessGroupWrap::WorldSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Get().world_size()));
}

Napi::Value ProcessGroupWrap::Backend(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), Get().backend());
}

// barrier() -> Promise<void>, on the thread pool like every collective here: it waits for the slowest rank.
Napi::Value ProcessGroupWrap::Barrier(const Napi::CallbackInfo& info) {
  Get();
  auto communicator = communicator_;
  return PromiseWorker<bool>::Start(
      info.Env(), [communicator]() { communicator->Barrier(); return true; },
      [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
}

// allReduce(values: Float64Array, op) -> Promise<Float64Array>: the same length on every rank.
Napi::Value ProcessGroupWrap::AllReduce(const Napi::CallbackInfo& info) {
  Get();
  auto values = Float64Arg(info, 0, "allReduce values");
  const ReduceOp op = ParseReduceOp(info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "sum");
  return ValuesThrough(info.Env(), communicator_, values, [op](Communicator& c, const torch::Tensor& t) { c.AllReduce({t}, op); });
}

// broadcast(values: Float64Array, root) -> Promise<Float64Array>: root's values on every rank.
Napi::Value ProcessGroupWrap::Broadcast(const Napi::CallbackInfo& info) {
  Get();
  auto values = Float64Arg(info, 0, "broadcast values");
  const int64_t root = IntArg(info, 1, "broadcast root");
  if (root < 0 || root >= Get().world_size()) {
    throw UserError("broadcast root must be a rank in 0.." + std::to_string(Get().world_size() - 1) + ", got " +
                    std::to_string(root));
  }
  return ValuesThrough(info.Env(), communicator_, values, [root](Communicator& c, const torch::Tensor& t) { c.Broadcast({t}, root); });
}

void InitDistributed(Napi::Env env, Napi::Object exports) {
  Napi::Function process_group = ProcessGroupWrap::Init(env);
  Data(env).process_group = Napi::Persistent(process_group);
  exports.Set("ProcessGroup", process_group);
  ExportFunction<ConnectProcessGroupJs>(env, exports, "connectProcessGroup");
}

}  // namespace pof
