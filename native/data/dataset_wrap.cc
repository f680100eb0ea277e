#include "data/dataset_wrap.h"
#include "addon_data.h"
#include "device.h"
#include "js_args.h"
#include "random.h"
#include "tensor.h"

namespace pof {

torch::Tensor IndicesArg(const Napi::Value& v, const char* what, int64_t size) {
  if (!v.IsTypedArray()) throw UserError(std::string(what) + " must be an Int32Array");
  auto array = v.As<Napi::TypedArray>();
  auto t = TensorFromTypedArray(array, {static_cast<int64_t>(array.ElementLength())}).to(torch::kLong);
  if (t.numel() == 0) throw UserError(std::string(what) + " must not be empty");
  if (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= size) {
    throw UserError(std::string(what) + " must lie in 0.." + std::to_string(size - 1));
  }
  return t;
}

Napi::Function DatasetWrap::Init(Napi::Env env) {
  return DefineClass(env, "Dataset",
                     {InstanceAccessor<&DatasetWrap::Size>("size"), InstanceAccessor<&DatasetWrap::Device>("device"),
                      InstanceMethod<&DatasetWrap::Batch>("batch")});
}

std::shared_ptr<const DeviceDataset> DatasetWrap::FromJs(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(Data(value.Env()).dataset.Value())) {
    throw UserError(std::string(what) + " must be a native Dataset");
  }
  return Unwrap(value.As<Napi::Object>())->data_;
}

// new Dataset({ inputs, shape, labels, numClasses, mean?, std?, cropPadding, flip, cutout, device })
DatasetWrap::DatasetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatasetWrap>(info) {
  Guard(info.Env(), [&] {
    auto o = ObjectArg(info, 0, "dataset options");
    if (!o.Get("inputs").IsTypedArray() || !o.Get("labels").IsTypedArray()) {
      throw UserError("dataset inputs and labels must be typed arrays");
    }
    auto shape = ShapeFromJs(o.Get("shape"), "shape");
    auto data = std::make_shared<DeviceDataset>();
    data->inputs = TensorFromTypedArray(o.Get("inputs").As<Napi::TypedArray>(), shape);
    auto labels = o.Get("labels").As<Napi::TypedArray>();
    data->labels = TensorFromTypedArray(labels, {static_cast<int64_t>(labels.ElementLength())}).to(torch::kLong);
    data->num_classes = IntField(o, "numClasses");
    if (data->labels.size(0) != shape[0]) {
      throw UserError("dataset has " + std::to_string(shape[0]) + " examples but " +
                      std::to_string(data->labels.size(0)) + " labels");
    }
    if (shape[0] > 0) {
      auto bad = ((data->labels < 0) | (data->labels >= data->num_classes)).nonzero();
      if (bad.size(0) > 0) {
        const int64_t i = bad[0][0].item<int64_t>();
        throw UserError("label " + std::to_string(data->labels[i].item<int64_t>()) + " at index " + std::to_string(i) +
                        " is out of range: expected 0.." + std::to_string(data->num_classes - 1));
      }
    }
    if (data->is_image()) {
      auto mean = o.Get("mean").IsUndefined() ? std::vector<double>{0.0} : NumberArrayField(o, "mean");
      auto std = o.Get("std").IsUndefined() ? std::vector<double>{1.0} : NumberArrayField(o, "std");
      std::vector<int64_t> view = shape.size() == 4 ? std::vector<int64_t>{1, -1, 1, 1} : std::vector<int64_t>{-1};
      data->mean = torch::tensor(mean, torch::kFloat32).view(view);
      data->std = torch::tensor(std, torch::kFloat32).view(view);
    }
    data->augment.crop_padding = IntField(o, "cropPadding", 0);
    data->augment.flip = BoolField(o, "flip", false);
    data->augment.cutout = IntField(o, "cutout", 0);
    data_ = std::make_shared<const DeviceDataset>(data->To(ParseDevice(StringField(o, "device", "cpu"))));
  });
}

Napi::Value DatasetWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(data_->size()));
}
Napi::Value DatasetWrap::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DeviceName(data_->inputs.device()));
}

// batch(indices: Int32Array, { train, seed }): the examples as training (augmented) or evaluation sees them.
Napi::Value DatasetWrap::Batch(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) throw UserError("batch indices must be an Int32Array");
    auto indices = TensorFromTypedArray(info[0].As<Napi::TypedArray>(), {static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength())});
    auto o = ObjectArg(info, 1, "batch options");
    if (indices.numel() > 0 && (indices.min().item<int64_t>() < 0 || indices.max().item<int64_t>() >= data_->size())) {
      throw UserError("batch indices must lie in 0.." + std::to_string(data_->size() - 1));
    }
    auto generator = MakeGenerator(data_->inputs.device(), static_cast<uint64_t>(IntField(o, "seed", 0)));
    auto batch = data_->Gather(indices.to(torch::kLong).to(data_->inputs.device()), BoolField(o, "train", false), generator);
    auto out = Napi::Object::New(info.Env());
    out.Set("inputs", TensorWrap::New(info.Env(), batch.inputs));
    out.Set("labels", TensorWrap::New(info.Env(), batch.labels));
    return out;
  });
}

}  // namespace pof
