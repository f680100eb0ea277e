#include "tensor.h"
#include <cmath>
#include <cstring>
#include <c10/util/safe_numerics.h>
#include "addon_data.h"
#include "async.h"
#include "device.h"
#include "errors.h"
#include "js_args.h"
#include "memory.h"

namespace pof {

namespace {

c10::ScalarType ScalarTypeOf(napi_typedarray_type type) {
  switch (type) {
    case napi_uint8_array: return torch::kUInt8;
    case napi_int32_array: return torch::kInt32;
    case napi_bigint64_array: return torch::kInt64;
    case napi_float32_array: return torch::kFloat32;
    default:
      throw UserError("unsupported typed array: expected Uint8Array/Buffer, Int32Array, BigInt64Array or Float32Array");
  }
}

}  // namespace

std::string DtypeName(c10::ScalarType type) {
  switch (type) {
    case torch::kUInt8: return "uint8";
    case torch::kInt32: return "int32";
    case torch::kInt64: return "int64";
    case torch::kFloat32: return "float32";
    default: return c10::toString(type);
  }
}

std::vector<int64_t> ShapeFromJs(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw UserError(std::string(what) + " must be an array of non-negative integers");
  auto array = value.As<Napi::Array>();
  if (array.Length() > 16) throw UserError(std::string(what) + " has " + std::to_string(array.Length()) + " dimensions; at most 16");
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value v = array.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != std::trunc(d)) {
      throw UserError(std::string(what) + "[" + std::to_string(i) + "] must be a non-negative integer");
    }
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

Napi::Array ShapeToJs(Napi::Env env, c10::IntArrayRef sizes) {
  auto array = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) array.Set(i, Napi::Number::New(env, static_cast<double>(sizes[i])));
  return array;
}

const uint8_t* TypedArrayBytes(const Napi::TypedArray& array, const std::string& what) {
  napi_env env = array.Env();
  napi_value buffer = nullptr;
  void* data = nullptr;
  bool ordinary = false, detached = false;
  // Node-API's own checks end in a bare "Invalid argument": say which argument and what it needs.
  if (napi_get_typedarray_info(env, array, nullptr, nullptr, &data, &buffer, nullptr) != napi_ok ||
      napi_is_arraybuffer(env, buffer, &ordinary) != napi_ok || !ordinary) {
    throw UserError(what + " is a view of a SharedArrayBuffer, which another thread may change while it is copied; " +
                    "expected a typed array over an ordinary ArrayBuffer (copy it first, e.g. Float32Array.from(view))");
  }
  if (napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok || detached) {
    throw UserError(what + " has been detached (its buffer was transferred, e.g. by postMessage or structuredClone) and " +
                    "holds no data; expected a typed array whose buffer is still attached");
  }
  return static_cast<const uint8_t*>(data);
}

torch::Tensor TensorFromTypedArray(const Napi::TypedArray& array, const std::vector<int64_t>& shape, const std::string& what) {
  const auto type = ScalarTypeOf(array.TypedArrayType());
  const uint8_t* src = TypedArrayBytes(array, what);
  int64_t numel = 1;
  const bool overflow = c10::safe_multiplies_u64(shape, reinterpret_cast<uint64_t*>(&numel)) || numel < 0;
  if (overflow || numel != static_cast<int64_t>(array.ElementLength())) {
    throw UserError("shape " + c10::str(c10::IntArrayRef(shape)) + " holds " + std::to_string(numel) +
                    " elements but " + what + " has " + std::to_string(array.ElementLength()));
  }
  auto tensor = torch::empty(shape, torch::TensorOptions().dtype(type));
  if (array.ByteLength() > 0) std::memcpy(tensor.data_ptr(), src, array.ByteLength());
  return tensor;
}

Napi::Value TypedArrayFromTensor(Napi::Env env, const torch::Tensor& tensor) {
  auto host = tensor.detach().to(torch::kCPU).contiguous();
  const size_t n = static_cast<size_t>(host.numel());
  const size_t bytes = n * host.element_size();
  auto buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), host.data_ptr(), bytes);
  switch (host.scalar_type()) {
    case torch::kUInt8: return Napi::Uint8Array::New(env, n, buffer, 0);
    case torch::kInt32: return Napi::Int32Array::New(env, n, buffer, 0);
    case torch::kInt64: return Napi::BigInt64Array::New(env, n, buffer, 0);
    case torch::kFloat32: return Napi::Float32Array::New(env, n, buffer, 0);
    default: throw UserError("cannot convert a " + DtypeName(host.scalar_type()) + " tensor to a typed array");
  }
}

Napi::Array NamedTensorsToJs(Napi::Env env, const NamedTensors& tensors, bool with_data) {
  auto out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, tensor] = tensors[i];
    auto entry = Napi::Object::New(env);
    entry.Set("name", name);
    entry.Set("shape", ShapeToJs(env, tensor.sizes()));
    entry.Set("dtype", DtypeName(tensor.scalar_type()));
    if (with_data) entry.Set("data", TypedArrayFromTensor(env, tensor));
    out.Set(i, entry);
  }
  return out;
}

std::map<std::string, torch::Tensor> NamedTensorsFromJs(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw UserError(std::string(what) + " must be an array of { name, shape, data }");
  auto entries = value.As<Napi::Array>();
  std::map<std::string, torch::Tensor> out;
  for (uint32_t i = 0; i < entries.Length(); ++i) {
    Napi::Value item = entries.Get(i);
    const std::string where = std::string(what) + " entry " + std::to_string(i);
    if (!item.IsObject()) throw UserError(where + " must be an object { name, shape, data }");
    auto e = item.As<Napi::Object>();
    if (!e.Get("name").IsString()) throw UserError(where + " has no string name");
    if (!e.Get("data").IsTypedArray()) throw UserError(where + " has no typed-array data");
    out[e.Get("name").As<Napi::String>().Utf8Value()] =
        TensorFromTypedArray(e.Get("data").As<Napi::TypedArray>(), ShapeFromJs(e.Get("shape"), "shape"), where + " data");
  }
  return out;
}

Napi::Function TensorWrap::Init(Napi::Env env) {
  return DefineClass(env, "Tensor",
                     {Getter<&TensorWrap::Shape>("shape"), Getter<&TensorWrap::Dtype>("dtype"),
                      Getter<&TensorWrap::Device>("device"), JsMethod<&TensorWrap::ToArray>("toArray"),
                      JsMethod<&TensorWrap::To>("to"), JsMethod<&TensorWrap::Matmul>("matmul")});
}

Napi::Object TensorWrap::New(Napi::Env env, torch::Tensor tensor) {
  Napi::Object object = Data(env).tensor.New({});
  Unwrap(object)->SetTensor(env, std::move(tensor));
  return object;
}

torch::Tensor TensorWrap::FromJs(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Data(value.Env()).tensor.Value())) {
    throw UserError(std::string(what) + " must be a Tensor");
  }
  const auto& tensor = Napi::ObjectWrap<TensorWrap>::Unwrap(value.As<Napi::Object>())->tensor_;
  if (!tensor.defined()) throw UserError(std::string(what) + " holds no data");
  return tensor;
}

void TensorWrap::SetTensor(Napi::Env env, torch::Tensor tensor) {
  tensor_ = std::move(tensor);
  external_bytes_ = tensor_.defined() ? static_cast<int64_t>(tensor_.nbytes()) : 0;
  if (external_bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, external_bytes_);
}

void TensorWrap::Finalize(Napi::Env env) {
  if (external_bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : GuardedObjectWrap<TensorWrap>(info) {
  if (info.Length() == 0) return;  // filled in by New()
  Construct(info, [&] {
    if (!info[0].IsTypedArray()) throw UserError("Tensor data must be a typed array or Buffer");
    auto tensor = TensorFromTypedArray(info[0].As<Napi::TypedArray>(), ShapeFromJs(info[1], "shape"), "Tensor data");
    const bool device_given = info.Length() > 2 && !info[2].IsUndefined();
    if (device_given && !info[2].IsString()) throw UserError("Tensor device must be a string such as 'cpu' or 'cuda:0'");
    SetTensor(info.Env(), tensor.to(ParseDevice(device_given ? info[2].As<Napi::String>().Utf8Value() : "cpu")));
  });
}

const torch::Tensor& TensorWrap::Get() const {
  if (!tensor_.defined()) throw UserError("this Tensor holds no data (create tensors with tensor() or fromBuffer())");
  return tensor_;
}

Napi::Value TensorWrap::Shape(const Napi::CallbackInfo& info) { return ShapeToJs(info.Env(), Get().sizes()); }
Napi::Value TensorWrap::Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(Get().scalar_type()));
}
Napi::Value TensorWrap::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DeviceName(Get().device()));
}
Napi::Value TensorWrap::ToArray(const Napi::CallbackInfo& info) {
  return TypedArrayFromTensor(info.Env(), Get());
}
Napi::Value TensorWrap::To(const Napi::CallbackInfo& info) {
  auto device = ParseDevice(StringArg(info, 0, "device"));
  return static_cast<Napi::Value>(New(info.Env(), Get().to(device)));
}

// Matrix product of float32 matrices (or vectors) on one device, computed off the main thread (a Promise).
Napi::Value TensorWrap::Matmul(const Napi::CallbackInfo& info) {
  torch::Tensor a = Get(), b = FromJs(info[0], "matmul's argument");
  if (!b.defined()) throw UserError("matmul's argument holds no data");
  const auto describe = [](const torch::Tensor& t) { return DtypeName(t.scalar_type()) + " " + c10::str(t.sizes()); };
  const bool shapes_ok = a.dim() >= 1 && a.dim() <= 2 && b.dim() >= 1 && b.dim() <= 2 && a.size(-1) == b.size(0);
  if (!shapes_ok || a.scalar_type() != torch::kFloat32 || b.scalar_type() != torch::kFloat32 || a.device() != b.device()) {
    throw UserError("matmul needs float32 matrices or vectors [.., K] x [K, ..] on one device; got " + describe(a) + " on " +
                    DeviceName(a.device()) + " x " + describe(b) + " on " + DeviceName(b.device()));
  }
  const double rows = a.dim() == 2 ? static_cast<double>(a.size(0)) : 1, cols = b.dim() == 2 ? static_cast<double>(b.size(1)) : 1;
  CheckFitsDevice(rows * cols * 4, a.device(), "matmul's result, float32 [" + std::to_string(a.dim() == 2 ? a.size(0) : 1) + ", " +
                      std::to_string(b.dim() == 2 ? b.size(1) : 1) + "],",
                  "multiply smaller blocks of the matrices");
  return PromiseWorker<torch::Tensor>::Start(
      info.Env(), [a, b] { return torch::matmul(a, b); },
      [](Napi::Env env, torch::Tensor& out) { return static_cast<Napi::Value>(New(env, out)); });
}

}  // namespace pof
