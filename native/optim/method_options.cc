#include "optim/method_options.h"
#include <iterator>
#include <string>
#include "js_args.h"
#include "optim/pof_method.h"
#include "optim/sam_method.h"
#include "optim/sgd_method.h"

namespace pof {

namespace {

struct MethodParser {
  const char* name;
  std::shared_ptr<const MethodOptions> (*parse)(const Napi::Object&);
};

// Every training method, by its name in lib/defaults.ts's union. Appending keeps the others' indices.
constexpr MethodParser kMethodParsers[] = {
    {"sgd", ParseSgdMethodOptions},
    {"sam", ParseSamOptions},
    {"pof", ParsePofOptions},
};

}  // namespace

ParsedMethod ParseMethodOptions(const Napi::Object& o) {
  const std::string name = StringField(o, "method");
  const int64_t count = static_cast<int64_t>(std::size(kMethodParsers));
  std::string expected;
  for (int64_t i = 0; i < count; ++i) {
    if (name == kMethodParsers[i].name) return {kMethodParsers[i].parse(o), i};
    expected += std::string(i == 0 ? "" : i + 1 == count ? " or " : ", ") + "'" + kMethodParsers[i].name + "'";
  }
  throw UserError("method '" + name + "' is unknown; expected " + expected);
}

}  // namespace pof
