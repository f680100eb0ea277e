#include "data/dataset_wrap.h"
#include "data/resized_crop.h"
#include "data/resized_crop_wrap.h"
#include "addon_data.h"
#include "data/stored_rows.h"
#include "device.h"
#include "js_args.h"
#include "random.h"
#include "tensor.h"

namespace pof {

namespace {

UserError DatasetProblem(const std::string& message) { return UserError(message, ErrorKind::kDataset); }

// What a kind's values must be (ValueRule): ids >= 0 (a negative one would index outside an embedding), values finite.
ValueRule RuleOf(InputKind kind) {
  return kind == InputKind::kTokens ? ValueRule::kNonNegative : kind == InputKind::kValues ? ValueRule::kFinite : ValueRule::kAny;
}

// Augmentation needs pixels [N, C, H, W], and windows no larger than the image.
void CheckAugmentation(const AugmentOptions& a, InputKind kind, const std::vector<int64_t>& shape) {
  const bool any = a.crop_padding != 0 || a.flip || a.cutout != 0 || a.CropSide() != 0;
  if (!any) return;
  if (kind != InputKind::kPixels) {
    throw UserError("augmentation (cropPadding, flip, cutout) applies to pixels only; these inputs are " + InputKindName(kind) +
                    ", taken as they are");
  }
  const int64_t side = std::min(shape[2], shape[3]);
  if (a.crop_padding < 0 || a.crop_padding > side) {
    throw UserError("cropPadding must lie in 0.." + std::to_string(side) + " (the image's smaller side), got " +
                    std::to_string(a.crop_padding));
  }
  if (a.cutout < 0 || a.cutout > side) {
    throw UserError("cutout must lie in 0.." + std::to_string(side) + " (the image's smaller side), got " + std::to_string(a.cutout));
  }
  CheckCrops(a, shape[2], shape[3]);
}

// The inputs held in the kind's dtype: pixels uint8 [N, C, H, W]; values float32 (a Uint8Array's 0..255 as they are,
// never / 255); tokens int64 ids >= 0 (a negative one would index outside an embedding), from a Uint8Array or Int32Array.
torch::Tensor ResidentInputs(const Napi::Value& value, InputKind kind, const std::vector<int64_t>& shape) {
  const auto is = [&](napi_typedarray_type type) { return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == type; };
  const bool fits = is(napi_uint8_array) || (kind == InputKind::kValues && is(napi_float32_array)) ||
                    (kind == InputKind::kTokens && is(napi_int32_array));
  if (!fits) {
    const char* takes = kind == InputKind::kPixels ? "a Uint8Array" : kind == InputKind::kValues ? "a Float32Array or a Uint8Array"
                                                                                                 : "an Int32Array or a Uint8Array";
    throw UserError("dataset inputs of kind '" + InputKindName(kind) + "' must be " + takes);
  }
  if (kind == InputKind::kPixels && shape.size() != 4) {
    throw UserError("dataset pixels must have shape [N, C, H, W], got " + c10::str(c10::IntArrayRef(shape)));
  }
  auto inputs = TensorFromTypedArray(value.As<Napi::TypedArray>(), shape, "dataset inputs");
  if (kind == InputKind::kPixels) return inputs;
  inputs = inputs.to(BatchDtype(kind));
  const auto breach = FirstBreach(inputs, RuleOf(kind));
  if (!breach) return inputs;
  const int64_t at = breach->example * (inputs.numel() / inputs.size(0)) + breach->position;
  if (kind == InputKind::kTokens) {
    throw DatasetProblem("token id " + std::to_string(inputs.view({-1})[at].item<int64_t>()) + " at index " + std::to_string(at) +
                         " is negative; expected ids >= 0");
  }
  const int64_t examples = torch::isfinite(inputs).view({inputs.size(0), -1}).all(1).logical_not().sum().item<int64_t>();
  throw UserError("dataset inputs of example " + std::to_string(breach->example) + " (of " + std::to_string(examples) +
                      " such examples) are NaN or infinite; expected finite values",
                  ErrorKind::kNonFinite);
}

// A store's dtypes: what .npy files hold once read (lib/data/npy.ts names them as NumPy does).
c10::ScalarType StoredDtype(const std::string& name, InputKind kind) {
  const c10::ScalarType dtype = name == "uint8" ? torch::kByte : name == "float32" ? torch::kFloat32 : name == "int32" ? torch::kInt
                                : name == "int64" ? torch::kLong : c10::ScalarType::Undefined;
  const bool fits = kind == InputKind::kPixels ? dtype == torch::kByte
                    : kind == InputKind::kValues ? dtype == torch::kByte || dtype == torch::kFloat32
                                                 : dtype == torch::kByte || dtype == torch::kInt || dtype == torch::kLong;
  if (!fits) {
    throw UserError("stored inputs of kind '" + InputKindName(kind) + "' cannot be of dtype '" + name +
                    "'; expected uint8 (pixels), uint8 or float32 (values), uint8, int32 or int64 (tokens)");
  }
  return dtype;
}

// inputs: a typed array (held on the device), or { file, offset, dtype } (a C-order array in a file, read per batch).
std::shared_ptr<const ExampleRows> InputsOf(const Napi::Value& value, InputKind kind, const std::vector<int64_t>& shape,
                                            const torch::Device& device) {
  if (value.IsTypedArray()) return std::make_shared<ResidentRows>(ResidentInputs(value, kind, shape).to(device));
  if (!value.IsObject()) throw UserError("dataset inputs must be a typed array or a stored array { file, offset, dtype }");
  auto o = value.As<Napi::Object>();
  if (kind == InputKind::kPixels && shape.size() != 4) {
    throw UserError("dataset pixels must have shape [N, C, H, W], got " + c10::str(c10::IntArrayRef(shape)));
  }
  const auto dtype = StoredDtype(StringField(o, "dtype"), kind);
  // As ResidentInputs refuses them: ids below 0, values that are not finite (uint8 ones always are).
  const auto values = dtype == torch::kByte ? ValueRule::kAny : RuleOf(kind);
  StoredArray array{StringField(o, "file"), IntField(o, "offset"), dtype, shape, values};
  return std::make_shared<StoredRows>(std::move(array), device.is_cuda());
}

torch::Tensor Normalisation(const Napi::Object& o, const char* key, int64_t channels, bool positive) {
  auto values = NumberArrayField(o, key);
  if (values.size() != 1 && static_cast<int64_t>(values.size()) != channels) {
    throw UserError(std::string(key) + " must have 1 or " + std::to_string(channels) + " values (one per channel), got " +
                    std::to_string(values.size()));
  }
  for (double v : values) {
    if (positive && !(v > 0)) throw UserError(std::string(key) + " values must be > 0, got " + std::to_string(v));
  }
  return torch::tensor(values, torch::kFloat32);
}

}  // namespace

torch::Tensor IndicesArg(const Napi::Value& v, const char* what, int64_t size) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw UserError(std::string(what) + " must be an Int32Array");
  }
  auto array = v.As<Napi::TypedArray>();
  auto t = TensorFromTypedArray(array, {static_cast<int64_t>(array.ElementLength())}, what).to(torch::kLong);
  if (t.numel() == 0) throw UserError(std::string(what) + " must not be empty");
  if (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= size) {
    throw UserError(std::string(what) + " must lie in 0.." + std::to_string(size - 1));
  }
  return t;
}

Napi::Function DatasetWrap::Init(Napi::Env env) {
  return DefineClass(env, "Dataset",
                     {Getter<&DatasetWrap::Size>("size"), Getter<&DatasetWrap::Device>("device"),
                      JsMethod<&DatasetWrap::Batch>("batch"), JsMethod<&DatasetWrap::Dispose>("dispose")});
}

std::shared_ptr<const DeviceDataset> DatasetWrap::FromJs(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Data(value.Env()).dataset.Value())) {
    throw UserError(std::string(what) + " must be a native Dataset");
  }
  auto data = Unwrap(value.As<Napi::Object>())->data_;
  if (!data) throw UserError(std::string(what) + " was disposed", ErrorKind::kDisposed);
  return data;
}

const DeviceDataset& DatasetWrap::Get() const {
  if (!data_) throw UserError("the dataset was disposed", ErrorKind::kDisposed);
  return *data_;
}

// new Dataset({ kind, inputs, shape, labels, numClasses, mean?, std?, cropPadding, flip, cutout, resizedCrop?, centerCrop?,
// device })
DatasetWrap::DatasetWrap(const Napi::CallbackInfo& info) : GuardedObjectWrap<DatasetWrap>(info) {
  Construct(info, [&] {
    auto o = ObjectArg(info, 0, "dataset options");
    const Napi::Value labels_value = o.Get("labels");
    if (!labels_value.IsTypedArray() || (labels_value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array &&
                                         labels_value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)) {
      throw UserError("dataset labels must be a Uint8Array or an Int32Array");
    }
    auto shape = ShapeFromJs(o.Get("shape"), "shape");
    if (shape.size() < 2) throw UserError("dataset shape must be [N, ...] with at least 2 dimensions, got " + c10::str(c10::IntArrayRef(shape)));
    auto data = std::make_shared<DeviceDataset>();
    data->kind = ParseInputKind(StringField(o, "kind"));
    const auto device = ParseDevice(StringField(o, "device"));
    data->inputs = InputsOf(o.Get("inputs"), data->kind, shape, device);
    auto labels = labels_value.As<Napi::TypedArray>();
    data->labels = TensorFromTypedArray(labels, {static_cast<int64_t>(labels.ElementLength())}, "dataset labels").to(torch::kLong);
    data->num_classes = IntField(o, "numClasses");
    if (data->num_classes < 1) throw UserError("numClasses must be >= 1, got " + std::to_string(data->num_classes));
    if (data->labels.size(0) != shape[0]) {
      throw DatasetProblem("dataset has " + std::to_string(shape[0]) + " examples but " +
                           std::to_string(data->labels.size(0)) + " labels");
    }
    if (shape[0] > 0) {
      auto bad = ((data->labels < 0) | (data->labels >= data->num_classes)).nonzero();
      if (bad.size(0) > 0) {
        const int64_t i = bad[0][0].item<int64_t>();
        throw DatasetProblem("label " + std::to_string(data->labels[i].item<int64_t>()) + " at index " + std::to_string(i) +
                             " is out of range: expected 0.." + std::to_string(data->num_classes - 1));
      }
      data->max_label = data->labels.max().item<int64_t>();
    }
    if (data->kind == InputKind::kPixels) {
      data->mean = Normalisation(o, "mean", shape[1], false).view({1, -1, 1, 1});
      data->std = Normalisation(o, "std", shape[1], true).view({1, -1, 1, 1});
    }
    data->augment.crop_padding = IntField(o, "cropPadding");
    data->augment.flip = BoolField(o, "flip");
    data->augment.cutout = IntField(o, "cutout");
    ReadCrops(o, data->augment);
    CheckAugmentation(data->augment, data->kind, shape);
    data->labels = data->labels.to(device);
    if (data->mean.defined()) data->mean = data->mean.to(device), data->std = data->std.to(device);
    data_ = std::move(data);
    external_bytes_ = data_->inputs->resident_bytes() + data_->labels.nbytes();
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), external_bytes_);
  });
}

void DatasetWrap::Finalize(Napi::Env env) {
  if (external_bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(env, -external_bytes_);
}

Napi::Value DatasetWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Get().size()));
}
Napi::Value DatasetWrap::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DeviceName(Get().device()));
}

// batch(indices: Int32Array, { train, seed }): the examples as training (augmented) or evaluation sees them.
Napi::Value DatasetWrap::Batch(const Napi::CallbackInfo& info) {
  const auto& data = Get();
  auto indices = IndicesArg(info[0], "batch indices", data.size());
  auto o = ObjectArg(info, 1, "batch options");
  auto generator = MakeGenerator(data.device(), static_cast<uint64_t>(IntField(o, "seed")));
  auto batch = data.Gather(indices.to(data.device()), BoolField(o, "train"), generator);
  auto out = Napi::Object::New(info.Env());
  out.Set("inputs", TensorWrap::New(info.Env(), batch.inputs));
  out.Set("labels", TensorWrap::New(info.Env(), batch.labels));
  return out;
}

// dispose(): frees the device copy now; work already running keeps its own reference until it ends.
Napi::Value DatasetWrap::Dispose(const Napi::CallbackInfo& info) {
  data_.reset();
  if (external_bytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -external_bytes_);
  external_bytes_ = 0;
  return info.Env().Undefined();
}

}  // namespace pof
