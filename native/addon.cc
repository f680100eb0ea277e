// Module registration only: each concept registers itself from its own file.
#include <napi.h>
#include "addon_data.h"
#include "analysis/hessian_wrap.h"
#include "analysis/line_search_wrap.h"
#include "data/dataset_wrap.h"
#include "data/resized_crop_wrap.h"
#include "distributed/process_group_wrap.h"
#include "engine/engine_wrap.h"
#include "errors.h"
#include "info.h"
#include "instrument/instrument_wrap.h"
#include "memory.h"
#include "models/model_wrap.h"
#include "tensor.h"

namespace pof {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function tensor = TensorWrap::Init(env);
  data->tensor = Napi::Persistent(tensor);
  exports.Set("Tensor", tensor);
  Napi::Function model = ModelWrap::Init(env);
  data->model = Napi::Persistent(model);
  exports.Set("Model", model);
  Napi::Function dataset = DatasetWrap::Init(env);
  data->dataset = Napi::Persistent(dataset);
  exports.Set("Dataset", dataset);
  exports.Set("Engine", EngineWrap::Init(env));
  InitErrors(env, exports);
  InitInfo(env, exports);
  InitMemory(env, exports);
  InitLineSearch(env, exports);
  InitHessian(env, exports);
  InitInstruments(env, exports);
  InitDistributed(env, exports);
  InitResizedCrop(env, exports);
  return exports;
}

}  // namespace pof

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return pof::Init(env, exports); }
NODE_API_MODULE(pof_torch, InitModule)
