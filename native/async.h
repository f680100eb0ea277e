// Runs a piece of native work on the libuv thread pool and settles a Promise with its result.
#pragma once
#include <napi.h>
#include <functional>
#include <memory>
#include <optional>
#include "errors.h"

namespace pof {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;

  // work runs off the main thread and must not touch JS values; convert runs back on it.
  static Napi::Promise Start(Napi::Env env, Work work, Convert convert) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(convert));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }
  // Start with `busy` (a token of ModelHandle::Acquire) held while work runs and released the moment it
  // ends, returned or thrown, so that the promise settles with the model idle again.
  static Napi::Promise StartHolding(Napi::Env env, std::shared_ptr<void> busy, Work work, Convert convert) {
    return Start(
        env,
        [busy = std::move(busy), work = std::move(work)]() mutable {
          const std::shared_ptr<void> held = std::move(busy);
          return work();
        },
        std::move(convert));
  }

 protected:
  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (...) {
      failure_ = DescribeCurrentException();
      SetError(failure_.message);
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(convert_(Env(), *result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(ToJsError(Env(), DescribeCurrentException()).Value());
    }
  }
  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), failure_).Value()); }

 private:
  PromiseWorker(Napi::Env env, Work work, Convert convert)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), convert_(std::move(convert)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Convert convert_;
  std::optional<Result> result_;
  NativeFailure failure_;
};

}  // namespace pof
