#include "models/exported/json_view.h"
#include <cmath>
#include <limits>
#include "errors.h"

namespace pof {

void JsonView::Fail(const std::string& message) const {
  throw UserError(document_ + (path_.empty() ? "" : ": " + path_) + ": " + message, ErrorKind::kCheckpoint);
}

Napi::Object JsonView::Object() const {
  if (!value_.IsObject()) Fail("expected an object");
  return value_.As<Napi::Object>();
}

bool JsonView::Has(const char* key) const {
  if (!IsObject()) return false;
  const auto member = value_.As<Napi::Object>().Get(key);
  return !member.IsUndefined() && !member.IsNull();
}

JsonView JsonView::operator[](const char* key) const {
  const auto member = Object().Get(key);
  const std::string path = path_.empty() ? key : path_ + "." + key;
  if (member.IsUndefined()) JsonView(member, document_, path).Fail("missing");
  return JsonView(member, document_, path);
}

JsonView JsonView::At(uint32_t index) const {
  if (!value_.IsArray()) Fail("expected an array");
  return JsonView(value_.As<Napi::Array>().Get(index), document_, path_ + "[" + std::to_string(index) + "]");
}

uint32_t JsonView::Size() const {
  if (!value_.IsArray()) Fail("expected an array");
  return value_.As<Napi::Array>().Length();
}

std::vector<std::string> JsonView::Keys() const {
  const auto names = Object().GetPropertyNames();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < names.Length(); ++i) out.push_back(names.Get(i).ToString().Utf8Value());
  return out;
}

std::string JsonView::String() const {
  if (!value_.IsString()) Fail("expected a string");
  return value_.As<Napi::String>().Utf8Value();
}

double JsonView::Number() const {
  if (!value_.IsNumber()) Fail("expected a number");
  return value_.As<Napi::Number>().DoubleValue();
}

int64_t JsonView::Int() const {
  const double v = Number();
  if (std::trunc(v) != v) Fail("expected an integer, got " + std::to_string(v));
  // JSON.parse reads 2^63 - 1 (a slice to the end) as 2^63: the int64 limits saturate.
  constexpr double kLimit = 9223372036854775808.0;
  if (v >= kLimit) return std::numeric_limits<int64_t>::max();
  if (v <= -kLimit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

bool JsonView::Bool() const {
  if (!value_.IsBoolean()) Fail("expected true or false");
  return value_.As<Napi::Boolean>().Value();
}

std::string JsonView::UnionKind() const {
  // The serializer writes the set member and, in some versions, the others as null.
  std::string kind;
  for (const auto& key : Keys()) {
    if (!Has(key.c_str())) continue;
    if (!kind.empty()) Fail("expected one member, found '" + kind + "' and '" + key + "'");
    kind = key;
  }
  if (kind.empty()) Fail("expected one member, found none");
  return kind;
}

}  // namespace pof

namespace pof {

JsonView ParseJson(Napi::Env env, const std::string& text, const std::string& document) {
  const auto parse = env.Global().Get("JSON").As<Napi::Object>().Get("parse").As<Napi::Function>();
  try {
    return JsonView(parse.Call({Napi::String::New(env, text)}), document);
  } catch (const Napi::Error& e) {
    throw UserError(document + " is not JSON: " + e.Message(), ErrorKind::kCheckpoint);
  }
}

}  // namespace pof
