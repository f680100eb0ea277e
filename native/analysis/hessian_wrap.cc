// The Hessian analyses as JS functions: arguments are read and checked on the main thread, the
// work runs on the thread pool with the model marked busy, float64 results come back as
// Float64Arrays and plain numbers.
#include "analysis/hessian_wrap.h"
#include <cstring>
#include "analysis/lanczos.h"
#include "analysis/loss_along.h"
#include "analysis/mini_batch_stats.h"
#include "analysis/parameter_subset.h"
#include "analysis/subset_loss.h"
#include "async.h"
#include "register.h"
#include "data/dataset_wrap.h"
#include "js_args.h"
#include "analysis/line_search_wrap.h"
#include "models/data_fit.h"
#include "models/model_wrap.h"
#include "tensor.h"

namespace pof {

namespace {

constexpr int64_t kMaxLanczosIterations = 100000;

// What every call on a set of examples needs: model, data, indices and the subset's selectors; those
// that build a SubsetLoss also the examples per forward pass.
struct Target {
  std::shared_ptr<ModelHandle> model;
  std::shared_ptr<const DeviceDataset> data;
  torch::Tensor indices;
  std::vector<std::string> selectors;
  int64_t chunk_size;  // 0 for miniBatchStats, whose batches are its chunks

  // The loss over the examples w.r.t. the subset (built in the worker: it runs the model).
  SubsetLoss Loss() const {
    return SubsetLoss(model->Get(), SelectParameters(model->Get(), selectors), *data, indices, chunk_size);
  }
};

// `chunked`: the call takes chunkSize (all but miniBatchStats).
Target TargetArgs(const Napi::CallbackInfo& info, const Napi::Object& options, bool chunked = true) {
  Target t;
  t.model = ModelWrap::FromJs(info[0]);
  t.data = DatasetWrap::FromJs(info[1], "data");
  CheckDataFits(*t.data, *t.model, "the analysis data");
  t.indices = IndicesArg(info[2], "indices", t.data->size());
  t.selectors = StringArrayField(options, "subset");
  t.chunk_size = chunked ? IntField(options, "chunkSize") : 0;
  if (chunked && t.chunk_size < 1) throw UserError("chunkSize must be >= 1, got " + std::to_string(t.chunk_size));
  SelectParameters(t.model->Get(), t.selectors);  // unknown names fail here, on the main thread
  return t;
}

// A Float32Array or Float64Array of `numel` elements as a float64 CPU tensor.
torch::Tensor VectorArg(const Napi::Value& v, const std::string& what, int64_t numel) {
  if (!v.IsTypedArray()) throw UserError(what + " must be a Float32Array or Float64Array");
  auto array = v.As<Napi::TypedArray>();
  const int64_t n = static_cast<int64_t>(array.ElementLength());
  if (n != numel) {
    throw UserError(what + " has " + std::to_string(n) + " elements but the parameter subset has " + std::to_string(numel));
  }
  if (array.TypedArrayType() == napi_float64_array) {
    auto out = torch::empty({n}, torch::kFloat64);
    const uint8_t* src = TypedArrayBytes(array, what);
    if (n > 0) std::memcpy(out.data_ptr(), src, n * 8);
    return out;
  }
  if (array.TypedArrayType() != napi_float32_array) throw UserError(what + " must be a Float32Array or Float64Array");
  return TensorFromTypedArray(array, {n}, what).to(torch::kFloat64);
}

// [count, numel] float64 from an array of vectors.
torch::Tensor DirectionsArg(const Napi::Value& v, int64_t numel) {
  if (!v.IsArray() || v.As<Napi::Array>().Length() == 0) throw UserError("directions must be a non-empty array of vectors");
  auto a = v.As<Napi::Array>();
  std::vector<torch::Tensor> rows;
  for (uint32_t i = 0; i < a.Length(); ++i) rows.push_back(VectorArg(a.Get(i), "directions[" + std::to_string(i) + "]", numel));
  return torch::stack(rows);
}

Napi::Float64Array Float64ArrayOf(Napi::Env env, const torch::Tensor& t) {
  auto host = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(host.numel()));
  if (host.numel() > 0) std::memcpy(out.Data(), host.data_ptr(), host.numel() * 8);
  return out;
}

Napi::Array NumbersOf(Napi::Env env, const torch::Tensor& t) {
  auto host = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  auto out = Napi::Array::New(env, host.numel());
  const double* p = host.data_ptr<double>();
  for (int64_t i = 0; i < host.numel(); ++i) out.Set(static_cast<uint32_t>(i), p[i]);
  return out;
}

Napi::Array RowsOf(Napi::Env env, const torch::Tensor& t) {
  auto out = Napi::Array::New(env, t.size(0));
  for (int64_t i = 0; i < t.size(0); ++i) out.Set(static_cast<uint32_t>(i), NumbersOf(env, t[i]));
  return out;
}

// parameterLayout(model, subset) -> { names, shapes, numel }
Napi::Value ParameterLayoutJs(const Napi::CallbackInfo& info) {
  auto model = ModelWrap::FromJs(info[0]);
  auto subset = SelectParameters(model->Get(), StringArrayField(ObjectArg(info, 1, "layout options"), "subset"));
  auto env = info.Env();
  auto names = Napi::Array::New(env), shapes = Napi::Array::New(env);
  for (size_t i = 0; i < subset.names.size(); ++i) {
    names.Set(static_cast<uint32_t>(i), subset.names[i]);
    shapes.Set(static_cast<uint32_t>(i), ShapeToJs(env, subset.parameters[i].sizes()));
  }
  auto out = Napi::Object::New(env);
  out.Set("names", names);
  out.Set("shapes", shapes);
  out.Set("numel", static_cast<double>(subset.numel));
  return out;
}

// lossAndGradient(model, data, indices, { subset, chunkSize }) [every field required] -> Promise<{ loss, gradient }>
Napi::Value LossAndGradientJs(const Napi::CallbackInfo& info) {
  auto t = TargetArgs(info, ObjectArg(info, 3, "options"));
  using Result = std::pair<torch::Tensor, torch::Tensor>;
  return PromiseWorker<Result>::StartHolding(
      info.Env(), t.model->Acquire("compute a gradient"),
      [t] {
        auto r = t.Loss().ValueAndGradient();
        return Result{r.first.cpu(), r.second.cpu()};
      },
      [](Napi::Env env, Result& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("loss", r.first.item<double>());
        out.Set("gradient", Float64ArrayOf(env, r.second));
        return out;
      });
}

// hessianVectorProduct(model, data, indices, vector, { subset, chunkSize }) -> Promise<Float64Array>
Napi::Value HessianVectorProductJs(const Napi::CallbackInfo& info) {
  auto t = TargetArgs(info, ObjectArg(info, 4, "options"));
  auto v = VectorArg(info[3], "vector", SelectParameters(t.model->Get(), t.selectors).numel);
  return PromiseWorker<torch::Tensor>::StartHolding(
      info.Env(), t.model->Acquire("compute a Hessian-vector product"),
      [t, v] { return t.Loss().HessianVectorProduct(v).cpu(); },
      [](Napi::Env env, torch::Tensor& hv) -> Napi::Value { return Float64ArrayOf(env, hv); });
}

// hessianTopK(model, data, indices, { subset, chunkSize, k, maxIterations, tolerance, seed })
//   -> Promise<{ values, vectors, residuals, iterations, converged }>
Napi::Value HessianTopKJs(const Napi::CallbackInfo& info) {
  auto o = ObjectArg(info, 3, "options");
  auto t = TargetArgs(info, o);
  LanczosOptions lanczos;
  lanczos.k = IntField(o, "k");
  lanczos.max_iterations = IntField(o, "maxIterations");
  lanczos.tolerance = NumberField(o, "tolerance");
  lanczos.seed = static_cast<uint64_t>(IntField(o, "seed"));
  const int64_t numel = SelectParameters(t.model->Get(), t.selectors).numel;
  if (lanczos.k < 1 || lanczos.k > numel) {
    throw UserError("k must lie in 1.." + std::to_string(numel) + " (the parameter subset's size), got " +
                    std::to_string(lanczos.k));
  }
  if (lanczos.max_iterations < lanczos.k || lanczos.max_iterations > kMaxLanczosIterations) {
    throw UserError("maxIterations must lie in k.." + std::to_string(kMaxLanczosIterations) + ", got " +
                    std::to_string(lanczos.max_iterations));
  }
  if (!(lanczos.tolerance > 0)) throw UserError("tolerance must be > 0, got " + std::to_string(lanczos.tolerance));
  return PromiseWorker<EigenPairs>::StartHolding(
      info.Env(), t.model->Acquire("compute Hessian eigenpairs"),
      [t, lanczos] {
        auto loss = t.Loss();
        auto opts = torch::TensorOptions().device(t.model->device);
        auto r = LanczosTopK([&](const torch::Tensor& v) { return loss.HessianVectorProduct(v); }, loss.subset().numel,
                             opts, lanczos);
        r.vectors = r.vectors.cpu();
        return r;
      },
      [](Napi::Env env, EigenPairs& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("values", NumbersOf(env, r.values));
        auto vectors = Napi::Array::New(env, r.vectors.size(0));
        for (int64_t i = 0; i < r.vectors.size(0); ++i) vectors.Set(static_cast<uint32_t>(i), Float64ArrayOf(env, r.vectors[i]));
        out.Set("vectors", vectors);
        out.Set("residuals", NumbersOf(env, r.residuals));
        out.Set("iterations", static_cast<double>(r.iterations));
        out.Set("converged", r.converged);
        return out;
      });
}

// lossAlong(model, data, indices, directions, steps, { subset, chunkSize }) -> Promise<number[][]>
Napi::Value LossAlongJs(const Napi::CallbackInfo& info) {
  auto t = TargetArgs(info, ObjectArg(info, 5, "options"));
  auto directions = DirectionsArg(info[3], SelectParameters(t.model->Get(), t.selectors).numel);
  if (!info[4].IsArray()) throw UserError("steps must be an array of numbers");
  std::vector<double> steps;
  auto a = info[4].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value s = a.Get(i);
    if (!s.IsNumber()) throw UserError("steps[" + std::to_string(i) + "] must be a number");
    steps.push_back(s.As<Napi::Number>().DoubleValue());
  }
  return PromiseWorker<torch::Tensor>::StartHolding(
      info.Env(), t.model->Acquire("evaluate the loss along directions"),
      [t, directions, steps] {
        auto loss = t.Loss();
        return LossAlong(loss, directions, steps);
      },
      [](Napi::Env env, torch::Tensor& values) -> Napi::Value { return RowsOf(env, values); });
}

// miniBatchStats(model, data, indices, batchSize, { subset, curvature, directions, lineSearch })
//   -> Promise<{ loss, gradNorm, curvature?, projections?, xi?, rejected? }>
Napi::Value MiniBatchStatsJs(const Napi::CallbackInfo& info) {
  auto o = ObjectArg(info, 4, "options");
  auto t = TargetArgs(info, o, /*chunked=*/false);
  const int64_t batch_size = IntArg(info, 3, "batchSize");
  MiniBatchOptions options;
  if (batch_size < 1 || static_cast<int64_t>(t.indices.numel()) % batch_size != 0) {
    throw UserError("indices must hold a whole number of batches of batchSize >= 1 (got " +
                    std::to_string(t.indices.numel()) + " indices, batchSize " + std::to_string(batch_size) + ")");
  }
  options.curvature = BoolField(o, "curvature");
  if (!o.Get("directions").IsUndefined()) {
    options.directions = DirectionsArg(o.Get("directions"), SelectParameters(t.model->Get(), t.selectors).numel);
  }
  if (!o.Get("lineSearch").IsUndefined()) {
    if (!o.Get("lineSearch").IsObject()) throw UserError("lineSearch must be an object { initialStep, maxStep, partitions }");
    options.line_search = ParseLineSearchOptions(o.Get("lineSearch").As<Napi::Object>());
  }
  return PromiseWorker<MiniBatchStats>::StartHolding(
      info.Env(), t.model->Acquire("compute mini-batch statistics"),
      [t, batch_size, options] {
        return MiniBatchStatistics(t.model->Get(), t.selectors, *t.data, t.indices, batch_size, options);
      },
      [](Napi::Env env, MiniBatchStats& s) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("loss", NumbersOf(env, s.loss));
        out.Set("gradNorm", NumbersOf(env, s.grad_norm));
        if (s.curvature.defined()) out.Set("curvature", NumbersOf(env, s.curvature));
        if (s.projections.defined()) out.Set("projections", RowsOf(env, s.projections));
        if (s.xi.defined()) out.Set("xi", NumbersOf(env, s.xi)), out.Set("rejected", NumbersOf(env, s.rejected));
        return out;
      });
}

}  // namespace

void InitHessian(Napi::Env env, Napi::Object exports) {
  auto analysis = Napi::Object::New(env);
  ExportFunction<ParameterLayoutJs>(env, analysis, "parameterLayout");
  ExportFunction<LossAndGradientJs>(env, analysis, "lossAndGradient");
  ExportFunction<HessianVectorProductJs>(env, analysis, "hessianVectorProduct");
  ExportFunction<HessianTopKJs>(env, analysis, "hessianTopK");
  ExportFunction<LossAlongJs>(env, analysis, "lossAlong");
  ExportFunction<MiniBatchStatsJs>(env, analysis, "miniBatchStats");
  exports.Set("analysis", analysis);
}

}  // namespace pof
