// The program's JSON as JS's JSON.parse made it, read with errors that say where in the document the
// value that is missing or of the wrong kind is ("models/model.json: graph.nodes[3].target: expected a string").
#pragma once
#include <napi.h>
#include <string>
#include <vector>

namespace pof {

class JsonView {
 public:
  JsonView(Napi::Value value, std::string document, std::string path = "")
      : value_(value), document_(std::move(document)), path_(std::move(path)) {}

  bool Has(const char* key) const;
  JsonView operator[](const char* key) const;  // an error when absent
  JsonView At(uint32_t index) const;
  uint32_t Size() const;  // of an array
  std::vector<std::string> Keys() const;  // of an object, in document order
  bool IsNull() const { return value_.IsNull() || value_.IsUndefined(); }
  bool IsObject() const { return value_.IsObject() && !value_.IsArray(); }
  std::string String() const;
  int64_t Int() const;
  double Number() const;
  bool Bool() const;
  // A union ({"as_tensor": {...}}): the name of its one member.
  std::string UnionKind() const;
  // "models/model.json: graph.nodes[3]: " + message, as a CheckpointError.
  [[noreturn]] void Fail(const std::string& message) const;
  const std::string& path() const { return path_; }

 private:
  Napi::Object Object() const;
  Napi::Value value_;
  std::string document_, path_;
};

}  // namespace pof

namespace pof {

// Parses `text` with JS's JSON.parse (on the JS thread); a CheckpointError naming `document` when it is not JSON.
JsonView ParseJson(Napi::Env env, const std::string& text, const std::string& document);

}  // namespace pof
