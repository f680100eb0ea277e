#include "js_args.h"
#include <cmath>

namespace pof {

namespace {
Napi::Value Required(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) throw UserError(std::string("option '") + key + "' is required");
  return v;
}
}  // namespace

double NumberField(const Napi::Object& o, const char* key) {
  Napi::Value v = Required(o, key);
  if (!v.IsNumber()) throw UserError(std::string("option '") + key + "' must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw UserError(std::string("option '") + key + "' must be a finite number, got " + std::to_string(d));
  return d;
}
double NumberField(const Napi::Object& o, const char* key, double fallback) {
  return o.Get(key).IsUndefined() ? fallback : NumberField(o, key);
}
namespace {
// A double that is an integer JS can represent exactly (|d| <= 2^53), else an error naming `what`.
int64_t SafeInteger(double d, const std::string& what) {
  if (!std::isfinite(d) || std::fabs(d) > 9007199254740992.0 || d != std::trunc(d)) {
    throw UserError(what + " must be an integer, got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}
}  // namespace

int64_t IntField(const Napi::Object& o, const char* key) {
  return SafeInteger(NumberField(o, key), std::string("option '") + key + "'");
}
int64_t IntField(const Napi::Object& o, const char* key, int64_t fallback) {
  return o.Get(key).IsUndefined() ? fallback : IntField(o, key);
}
bool BoolField(const Napi::Object& o, const char* key) {
  Napi::Value v = Required(o, key);
  if (!v.IsBoolean()) throw UserError(std::string("option '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}
bool BoolField(const Napi::Object& o, const char* key, bool fallback) {
  return o.Get(key).IsUndefined() ? fallback : BoolField(o, key);
}
std::string StringField(const Napi::Object& o, const char* key) {
  Napi::Value v = Required(o, key);
  if (!v.IsString()) throw UserError(std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}
std::string StringField(const Napi::Object& o, const char* key, const std::string& fallback) {
  return o.Get(key).IsUndefined() ? fallback : StringField(o, key);
}
std::vector<int64_t> IntArrayField(const Napi::Object& o, const char* key) {
  Napi::Value v = Required(o, key);
  if (!v.IsArray()) throw UserError(std::string("option '") + key + "' must be an array of integers");
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string what = std::string("option '") + key + "[" + std::to_string(i) + "]'";
    Napi::Value item = a.Get(i);
    if (!item.IsNumber()) throw UserError(what + " must be an integer");
    out.push_back(SafeInteger(item.As<Napi::Number>().DoubleValue(), what));
  }
  return out;
}
std::vector<double> NumberArrayField(const Napi::Object& o, const char* key) {
  Napi::Value v = Required(o, key);
  if (!v.IsArray()) throw UserError(std::string("option '") + key + "' must be an array of numbers");
  auto a = v.As<Napi::Array>();
  std::vector<double> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a.Get(i);
    if (!item.IsNumber()) throw UserError(std::string("option '") + key + "[" + std::to_string(i) + "]' must be a number");
    out.push_back(item.As<Napi::Number>().DoubleValue());
  }
  return out;
}
std::vector<std::string> StringArrayField(const Napi::Object& o, const char* key) {
  Napi::Value v = Required(o, key);
  if (!v.IsArray()) throw UserError(std::string("option '") + key + "' must be an array of strings");
  auto a = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) throw UserError(std::string("option '") + key + "[" + std::to_string(i) + "]' must be a string");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}
double NumberArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsNumber()) throw UserError(std::string(what) + " must be a number");
  const double d = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw UserError(std::string(what) + " must be a finite number, got " + std::to_string(d));
  return d;
}
int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  return SafeInteger(NumberArg(info, index, what), what);
}
std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsString()) throw UserError(std::string(what) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}
Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsObject()) throw UserError(std::string(what) + " must be an object");
  return info[index].As<Napi::Object>();
}

}  // namespace pof
