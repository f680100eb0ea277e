#include "errors.h"
#include "addon_data.h"
#include "register.h"

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

NativeFailure DescribeCurrentException() {
  try {
    throw;
  } catch (const UserError& e) {
    return {e.what(), e.kind};
  } catch (const c10::OutOfMemoryError& e) {
    return {"out of memory on the device: " + CleanMessage(e.what_without_backtrace()) +
                " (use a smaller batch size or model)", ErrorKind::kInternal};
  } catch (const c10::Error& e) {
    // An unanticipated LibTorch failure: the entry points check their inputs, so this is a bug to report.
    return {"internal error in LibTorch (please report it): " + CleanMessage(e.what_without_backtrace()),
            ErrorKind::kInternal};
  } catch (const std::bad_alloc&) {
    return {"out of host memory", ErrorKind::kInternal};
  } catch (const std::exception& e) {
    return {"internal error (please report it): " + CleanMessage(e.what()), ErrorKind::kInternal};
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
