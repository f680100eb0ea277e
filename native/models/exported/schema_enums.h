// The numbers torch.export's schema (torch/_export/serde/schema.py) gives dtypes, layouts and memory formats,
// as c10's: they are not c10's own numbers (FLOAT is 7 in the schema, 6 in c10).
#pragma once
#include <c10/core/Layout.h>
#include <c10/core/MemoryFormat.h>
#include <c10/core/ScalarType.h>
#include <cstdint>
#include <string>

namespace pof {

// Each throws a UserError naming the number and `where` when the schema number has no c10 counterpart.
c10::ScalarType ScalarTypeFromSchema(int64_t code, const std::string& where);
c10::Layout LayoutFromSchema(int64_t code, const std::string& where);
c10::MemoryFormat MemoryFormatFromSchema(int64_t code, const std::string& where);

}  // namespace pof
