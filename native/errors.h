// Every C++ exception becomes a JS Error carrying its message, in one place.
#pragma once
#include <napi.h>
#include <c10/util/Exception.h>
#include <exception>
#include <string>

namespace pof {

// LibTorch messages end with a C++ backtrace that means nothing to a JS user: keep the first part.
std::string CleanMessage(const std::string& what);

// Raised for bad user input detected on the native side (shapes, devices, options).
struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs fn; a C++ exception of any kind is rethrown as a JS Error (never aborts the process).
template <typename Fn>
auto Guard(const Napi::Env& env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, CleanMessage(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, CleanMessage(e.what()));
  } catch (...) {
    throw Napi::Error::New(env, "unknown native error");
  }
}

// Same, as a message, for work done off the main thread (AsyncWorker::SetError).
std::string DescribeCurrentException();

}  // namespace pof
