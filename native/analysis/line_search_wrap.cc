// PoF's line search on given features: for analyses (xi* distributions) and for checking the search.
#include "analysis/line_search_wrap.h"
#include "register.h"
#include "device.h"
#include "js_args.h"
#include "optim/line_search.h"
#include "tensor.h"

namespace pof {

namespace {

Napi::Value LineSearchJs(const Napi::CallbackInfo& info) {
  auto features = TensorWrap::FromJs(info[0], "features");
  auto labels = TensorWrap::FromJs(info[1], "labels");
  auto weight = TensorWrap::FromJs(info[2], "weight"), bias = TensorWrap::FromJs(info[3], "bias");
  auto o = ObjectArg(info, 4, "line search options");
  const LineSearchOptions opts = ParseLineSearchOptions(o);
  if (features.dim() != 2 || weight.dim() != 2 || bias.dim() != 1 || labels.dim() != 1 || features.size(0) < 1 ||
      features.size(1) != weight.size(1) || bias.size(0) != weight.size(0) || labels.numel() != features.size(0)) {
    throw UserError("lineSearch expects features [B, D], labels [B], weight [C, D] and bias [C]; got features " +
                    c10::str(features.sizes()) + ", labels " + c10::str(labels.sizes()) + ", weight " +
                    c10::str(weight.sizes()) + ", bias " + c10::str(bias.sizes()));
  }
  const auto devices = {labels.device(), weight.device(), bias.device()};
  for (const auto& d : devices) {
    if (d != features.device()) throw UserError("lineSearch's tensors must all be on one device (features on " + DeviceName(features.device()) + ")");
  }
  if (!features.is_floating_point() || !weight.is_floating_point() || !bias.is_floating_point() || labels.is_floating_point()) {
    throw UserError("lineSearch expects float features, weight and bias, and integer labels");
  }
  labels = labels.to(torch::kLong);
  if (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= weight.size(0)) {
    throw UserError("lineSearch labels must lie in 0.." + std::to_string(weight.size(0) - 1) + " (the classifier's classes)");
  }
  auto r = LineSearch(features, labels, weight, bias, opts);
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("xi", r.xi.item<double>());
  out.Set("step", r.step.item<double>());
  out.Set("rejected", r.rejected.item<bool>());
  out.Set("gradNorm", r.grad_norm.item<double>());
  out.Set("loss", r.loss.item<double>());
  out.Set("gradWeight", TensorWrap::New(env, r.grad_weight));
  out.Set("gradBias", TensorWrap::New(env, r.grad_bias));
  return out;
}

}  // namespace

void InitLineSearch(Napi::Env env, Napi::Object exports) {
  ExportFunction<LineSearchJs>(env, exports, "lineSearch");
}

}  // namespace pof
