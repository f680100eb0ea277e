// The JS Dataset class: a split handed to the native side once and kept on its device.
#pragma once
#include <napi.h>
#include <memory>
#include "data/dataset.h"
#include "register.h"

namespace pof {

// Example indices from JS (an Int32Array, non-empty, each in 0..size-1) as an int64 CPU tensor.
torch::Tensor IndicesArg(const Napi::Value& v, const char* what, int64_t size);

class DatasetWrap : public GuardedObjectWrap<DatasetWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static std::shared_ptr<const DeviceDataset> FromJs(const Napi::Value& value, const char* what);
  explicit DatasetWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Batch(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  const DeviceDataset& Get() const;
  std::shared_ptr<const DeviceDataset> data_;
  int64_t external_bytes_ = 0;  // reported to V8 so that it collects dropped datasets in time
};

}  // namespace pof
