// JS typed arrays <-> torch::Tensor, and the Tensor class JS holds.
#pragma once
#include <napi.h>
#include <torch/torch.h>
#include <map>
#include <string>
#include <utility>
#include <vector>
#include "register.h"

namespace pof {

// Copies a JS typed array (Uint8Array, Int32Array, BigInt64Array, Float32Array) into a CPU tensor; `what`
// names the argument in errors.
torch::Tensor TensorFromTypedArray(const Napi::TypedArray& array, const std::vector<int64_t>& shape, const std::string& what);
// The first byte of a typed array's data; a UserError naming `what` when its buffer is shared or detached.
const uint8_t* TypedArrayBytes(const Napi::TypedArray& array, const std::string& what);
// Copies a tensor (any device) into a new JS typed array of its dtype.
Napi::Value TypedArrayFromTensor(Napi::Env env, const torch::Tensor& tensor);
std::vector<int64_t> ShapeFromJs(const Napi::Value& value, const char* what);
Napi::Array ShapeToJs(Napi::Env env, c10::IntArrayRef sizes);
std::string DtypeName(c10::ScalarType type);

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;
// [{ name, shape, dtype, data }] with host copies (data left out unless with_data), in the given order.
Napi::Array NamedTensorsToJs(Napi::Env env, const NamedTensors& tensors, bool with_data = true);
// The inverse: CPU tensors by name; `what` names the argument in errors.
std::map<std::string, torch::Tensor> NamedTensorsFromJs(const Napi::Value& value, const char* what);

class TensorWrap : public GuardedObjectWrap<TensorWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Object New(Napi::Env env, torch::Tensor tensor);
  static torch::Tensor FromJs(const Napi::Value& value, const char* what);
  explicit TensorWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  // new Tensor(typedArray, shape, device)
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value ToArray(const Napi::CallbackInfo& info);
  Napi::Value To(const Napi::CallbackInfo& info);
  Napi::Value Matmul(const Napi::CallbackInfo& info);
  void SetTensor(Napi::Env env, torch::Tensor tensor);
  const torch::Tensor& Get() const;
  torch::Tensor tensor_;
  int64_t external_bytes_ = 0;  // reported to V8 so that it collects dropped tensors in time
};

}  // namespace pof
