// PoF's line search on given features: for analyses (xi* distributions) and for checking the search.
#include "analysis/line_search_wrap.h"
#include "errors.h"
#include "js_args.h"
#include "optim/line_search.h"
#include "tensor.h"

namespace pof {

namespace {

Napi::Value LineSearchJs(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    auto features = TensorWrap::FromJs(info[0], "features");
    auto labels = TensorWrap::FromJs(info[1], "labels").to(torch::kLong);
    auto weight = TensorWrap::FromJs(info[2], "weight"), bias = TensorWrap::FromJs(info[3], "bias");
    auto o = ObjectArg(info, 4, "line search options");
    LineSearchOptions opts;
    opts.initial_step = NumberField(o, "initialStep", 1.0);
    opts.max_step = NumberField(o, "maxStep", 100.0);
    opts.partitions = IntField(o, "partitions", 16);
    if (features.dim() != 2 || weight.dim() != 2 || features.size(1) != weight.size(1) || bias.size(0) != weight.size(0) ||
        labels.numel() != features.size(0)) {
      throw UserError("lineSearch expects features [B, D], labels [B], weight [C, D] and bias [C]; got features " +
                      c10::str(features.sizes()) + ", labels " + c10::str(labels.sizes()) + ", weight " +
                      c10::str(weight.sizes()) + ", bias " + c10::str(bias.sizes()));
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
  });
}

}  // namespace

void InitLineSearch(Napi::Env env, Napi::Object exports) {
  exports.Set("lineSearch", Napi::Function::New<LineSearchJs>(env));
}

}  // namespace pof
