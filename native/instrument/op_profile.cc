#include "instrument/op_profile.h"
#include <ATen/record_function.h>
#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>
#include "errors.h"

namespace pof {

namespace {

using Clock = std::chrono::steady_clock;

struct Frame {
  const char* name;
  Clock::time_point start;
  double child_ns = 0;
};

struct Totals {
  int64_t calls = 0;
  double self_ns = 0, total_ns = 0;
};

std::mutex profile_mutex;
std::optional<at::CallbackHandle> profile_handle;
std::unordered_map<std::string, Totals> totals;
Clock::time_point profile_started;
// Per thread: ops nest, so an op's self time is its duration less its children's.
thread_local std::vector<Frame> stack;

std::unique_ptr<at::ObserverContext> OnStart(const at::RecordFunction& fn) {
  stack.push_back({fn.name(), Clock::now()});
  return nullptr;
}

void OnEnd(const at::RecordFunction& fn, at::ObserverContext*) {
  if (stack.empty()) return;
  const Frame frame = stack.back();
  stack.pop_back();
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - frame.start).count();
  if (!stack.empty()) stack.back().child_ns += ns;
  std::lock_guard<std::mutex> lock(profile_mutex);
  auto& t = totals[frame.name];
  t.calls += 1, t.total_ns += ns, t.self_ns += ns - frame.child_ns;
}

}  // namespace

void StartOpProfile() {
  std::lock_guard<std::mutex> lock(profile_mutex);
  if (profile_handle) throw UserError("an op profile is already running: stop it first");
  totals.clear();
  profile_started = Clock::now();
  profile_handle = at::addGlobalCallback(at::RecordFunctionCallback(&OnStart, &OnEnd));
}

OpProfile StopOpProfile() {
  std::lock_guard<std::mutex> lock(profile_mutex);
  if (!profile_handle) throw UserError("no op profile is running: start one first");
  at::removeCallback(*profile_handle);
  profile_handle.reset();
  OpProfile out;
  out.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - profile_started).count();
  for (const auto& [name, t] : totals) out.ops.push_back({name, t.calls, t.self_ns / 1e6, t.total_ns / 1e6});
  std::sort(out.ops.begin(), out.ops.end(), [](const OpTime& a, const OpTime& b) { return a.self_ms > b.self_ms; });
  return out;
}

}  // namespace pof
