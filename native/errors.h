// Every C++ exception becomes a JS Error carrying its message and a stable code, in one place.
#pragma once
#include <napi.h>
#include <c10/util/Exception.h>
#include <exception>
#include <string>
#include <vector>

namespace pof {

// The one list of error kinds and their codes, as lib/errors.ts names them (the JS class is chosen by the
// code): X(kind, code). ErrorKind, CodeOf and setErrorClasses are all made from it.
#define POF_ERROR_KINDS(X)               \
  X(kOption, "ERR_POF_OPTION")           \
  X(kDataset, "ERR_POF_DATASET")         \
  X(kCheckpoint, "ERR_POF_CHECKPOINT")   \
  X(kDevice, "ERR_POF_DEVICE")           \
  X(kBusy, "ERR_POF_BUSY")               \
  X(kNonFinite, "ERR_POF_NON_FINITE")    \
  X(kDisposed, "ERR_POF_DISPOSED")       \
  X(kDistributed, "ERR_POF_DISTRIBUTED") \
  X(kUnsupported, "ERR_POF_UNSUPPORTED") \
  X(kInternal, "ERR_POF_INTERNAL")

// What went wrong.
enum class ErrorKind {
#define POF_ERROR_KIND_ENUM(kind, code) kind,
  POF_ERROR_KINDS(POF_ERROR_KIND_ENUM)
#undef POF_ERROR_KIND_ENUM
};
const char* CodeOf(ErrorKind kind);

// LibTorch messages end with a C++ backtrace that means nothing to a JS user: keep the first part.
std::string CleanMessage(const std::string& what);
// At most `limit` items, then how many more: "a, b, c, ... (120 more)"; "(none)" when empty. Keeps errors
// about networks with hundreds of layers readable.
std::string CutList(const std::vector<std::string>& items, size_t limit = 8);
// A byte count in words: "16.0 GB", "512.0 MB".
std::string FormatBytes(double bytes);
// Whether an exception's text is the TorchScript interpreter reporting a failure inside a user's module.
bool IsInterpreterFailure(const std::string& what);
// Whether an exception's text is LibTorch's CPU allocator failing (the request exceeded what it could get).
bool IsAllocationFailure(const std::string& what);
// The first line of the model's own error at the end of a TorchScript traceback (else the first line).
std::string ModelMessage(const std::string& what);

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
