// Every C++ exception becomes a JS Error carrying its message and a stable code, in one place.
#pragma once
#include <napi.h>
#include <c10/util/Exception.h>
#include <exception>
#include <string>

namespace pof {

// What went wrong, as lib/errors.ts names it (the JS class is chosen by the code).
enum class ErrorKind { kOption, kDataset, kCheckpoint, kDevice, kBusy, kNonFinite, kDisposed, kDistributed, kInternal };
const char* CodeOf(ErrorKind kind);

// LibTorch messages end with a C++ backtrace that means nothing to a JS user: keep the first part.
std::string CleanMessage(const std::string& what);

// Raised for bad user input detected on the native side (shapes, devices, options, data).
struct UserError : std::runtime_error {
  explicit UserError(const std::string& message, ErrorKind kind = ErrorKind::kOption)
      : std::runtime_error(message), kind(kind) {}
  ErrorKind kind;
};

// The exception being handled, as a message and a code (call inside a catch block).
struct NativeFailure {
  std::string message;
  ErrorKind kind = ErrorKind::kInternal;
};
NativeFailure DescribeCurrentException();

// A JS Error with the failure's message and `code` property: an instance of the class registered for the
// code (setErrorClasses), else a plain Error.
Napi::Error ToJsError(Napi::Env env, const NativeFailure& failure);

// exports.setErrorClasses({ [code]: class }): the classes ToJsError makes.
void InitErrors(Napi::Env env, Napi::Object exports);

// Runs fn; a C++ exception of any kind is rethrown as a JS Error with a code (never aborts the process).
// Entry points get it from native/register.h rather than calling it by hand.
template <typename Fn>
auto Guard(const Napi::Env& env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw ToJsError(env, DescribeCurrentException());
  }
}

}  // namespace pof
