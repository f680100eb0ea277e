// Where the time goes, op by op: self and inclusive wall time of every ATen op and user scope
// (e.g. "pof::line_search") between Start and Stop, from RecordFunction callbacks.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pof {

struct OpTime {
  std::string name;
  int64_t calls = 0;
  double self_ms = 0, total_ms = 0;
};

struct OpProfile {
  double wall_ms = 0;
  std::vector<OpTime> ops;  // by self time, largest first
};

void StartOpProfile();  // clears what an earlier profile collected
OpProfile StopOpProfile();

}  // namespace pof
