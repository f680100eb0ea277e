#include "errors.h"
#include "addon_data.h"
#include "register.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

namespace pof {

const char* CodeOf(ErrorKind kind) {
  switch (kind) {
#define POF_ERROR_KIND_CODE(kind, code) \
  case ErrorKind::kind:                 \
    return code;
    POF_ERROR_KINDS(POF_ERROR_KIND_CODE)
#undef POF_ERROR_KIND_CODE
  }
  return CodeOf(ErrorKind::kInternal);  // a value outside the list
}

std::string CleanMessage(const std::string& what) {
  // "Exception raised from ..." starts LibTorch's source location / backtrace block.
  auto cut = what.find("\nException raised from");
  std::string msg = what.substr(0, cut);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

std::string CutList(const std::vector<std::string>& items, size_t limit) {
  if (items.empty()) return "(none)";
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size() - limit) + " more)";
  return out;
}

std::string FormatBytes(double bytes) {
  char text[32];
  if (bytes >= 1e9) std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
  else std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

namespace {
// LibTorch's words when the CPU allocator fails, followed by the byte count asked for.
const char* const kCpuAllocator = "DefaultCPUAllocator: can't allocate memory: you tried to allocate ";
}  // namespace

bool IsInterpreterFailure(const std::string& what) {
  return what.find("The following operation failed in the TorchScript interpreter") != std::string::npos;
}

bool IsAllocationFailure(const std::string& what) { return what.find(kCpuAllocator) != std::string::npos; }

std::string ModelMessage(const std::string& what) {
  // A TorchScript traceback ends with the model's own error: the first unindented line after the last
  // "Traceback of TorchScript" header ("builtins.RuntimeError: ..." for a `raise` in the model).
  const std::string text = CleanMessage(what);
  const size_t header = text.rfind("Traceback of TorchScript");
  if (header != std::string::npos) {
    std::istringstream lines(text.substr(header));
    std::string line;
    std::getline(lines, line);  // the header itself
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] != ' ') return line.rfind("builtins.", 0) == 0 ? line.substr(9) : line;
    }
  }
  return text.substr(0, text.find('\n'));
}

namespace {

const char* const kLowerIt = "lower the batch size or the model's width or depth, or use a device with more memory";

// LibTorch's allocation failure, as a DeviceError saying how much was asked; nothing for other errors.
std::optional<NativeFailure> AllocationFailure(const std::string& message) {
  const size_t at = message.find(kCpuAllocator);
  if (at == std::string::npos) return std::nullopt;
  const double bytes = std::strtod(message.c_str() + at + std::strlen(kCpuAllocator), nullptr);
  return NativeFailure{"out of memory on cpu: an allocation of " + FormatBytes(bytes) + " failed; " + kLowerIt,
                       ErrorKind::kDevice};
}

// A failure no entry point anticipated: the allocator's, the user's TorchScript code's (their model's
// error, even when LibTorch raised it inside the module), else a bug to report.
NativeFailure Unanticipated(const std::string& message, const char* internal) {
  if (auto allocation = AllocationFailure(message)) return *allocation;
  if (IsInterpreterFailure(message)) return {"the TorchScript model failed: " + ModelMessage(message), ErrorKind::kOption};
  return {std::string(internal) + message, ErrorKind::kInternal};
}

}  // namespace

NativeFailure DescribeCurrentException() {
  try {
    throw;
  } catch (const UserError& e) {
    return {e.what(), e.kind};
  } catch (const c10::OutOfMemoryError& e) {
    // CUDA's message says how much was asked ("Tried to allocate 2.00 GiB") and what the device holds.
    return {"out of memory on the device: " + CleanMessage(e.what_without_backtrace()).substr(0, 400) + "; " + kLowerIt,
            ErrorKind::kDevice};
  } catch (const c10::Error& e) {
    // The entry points check their inputs, so an unanticipated LibTorch failure is a bug to report.
    return Unanticipated(CleanMessage(e.what_without_backtrace()), "internal error in LibTorch (please report it): ");
  } catch (const std::bad_alloc&) {
    return {std::string("out of host memory (an allocation failed); ") + kLowerIt, ErrorKind::kDevice};
  } catch (const std::exception& e) {
    return Unanticipated(CleanMessage(e.what()), "internal error (please report it): ");
  } catch (...) {
    return {"unknown native error (please report it)", ErrorKind::kInternal};
  }
}

Napi::Error ToJsError(Napi::Env env, const NativeFailure& failure) {
  const std::string code = CodeOf(failure.kind);
  auto& classes = Data(env).error_classes;
  auto it = classes.find(code);
  if (it != classes.end()) {
    // The class sets `code` itself; a constructor that throws falls back to a plain Error below.
    try {
      return Napi::Error(env, it->second.New({Napi::String::New(env, failure.message)}));
    } catch (const Napi::Error&) {
    }
  }
  auto error = Napi::Error::New(env, failure.message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

namespace {

Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw UserError("setErrorClasses expects { [code]: class }");
  auto given = info[0].As<Napi::Object>();
  auto& classes = Data(info.Env()).error_classes;
  const ErrorKind kinds[] = {
#define POF_ERROR_KIND_VALUE(kind, code) ErrorKind::kind,
      POF_ERROR_KINDS(POF_ERROR_KIND_VALUE)
#undef POF_ERROR_KIND_VALUE
  };
  for (ErrorKind kind : kinds) {
    Napi::Value c = given.Get(CodeOf(kind));
    if (!c.IsFunction()) throw UserError(std::string("setErrorClasses: no class for ") + CodeOf(kind));
    classes[CodeOf(kind)] = Napi::Persistent(c.As<Napi::Function>());
  }
  return info.Env().Undefined();
}

}  // namespace

void InitErrors(Napi::Env env, Napi::Object exports) { ExportFunction<SetErrorClasses>(env, exports, "setErrorClasses"); }

}  // namespace pof
