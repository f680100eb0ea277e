// Reading options objects passed from TypeScript (which validated them; these checks guard the boundary).
#pragma once
#include <napi.h>
#include <string>
#include <vector>
#include "errors.h"

namespace pof {

double NumberField(const Napi::Object& o, const char* key);
double NumberField(const Napi::Object& o, const char* key, double fallback);
int64_t IntField(const Napi::Object& o, const char* key);
int64_t IntField(const Napi::Object& o, const char* key, int64_t fallback);
bool BoolField(const Napi::Object& o, const char* key);
bool BoolField(const Napi::Object& o, const char* key, bool fallback);
std::string StringField(const Napi::Object& o, const char* key);
std::string StringField(const Napi::Object& o, const char* key, const std::string& fallback);
std::vector<int64_t> IntArrayField(const Napi::Object& o, const char* key);
std::vector<double> NumberArrayField(const Napi::Object& o, const char* key);
std::vector<std::string> StringArrayField(const Napi::Object& o, const char* key);
// Positional arguments: info[index] of the given type, else an error naming `what`.
Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index, const char* what);
double NumberArg(const Napi::CallbackInfo& info, size_t index, const char* what);
int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what);
std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* what);

}  // namespace pof
