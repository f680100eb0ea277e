// Counts what makes the host wait for the device: reading a value (item(), bool()), ops whose output
// shape depends on values (nonzero, masked_select, unique), and copies between host and device.
// Off by default; while on, every ATen op passes one extra callback. Tests use it to prove that a
// training step never synchronises; on CUDA, c10's sync-debug mode is also set to error meanwhile.
#pragma once
#include <cstdint>

namespace pof {

void WatchHostSyncs(bool on);
int64_t HostSyncCount();

// Marks an intended synchronisation (reading the statistics once per report): still counted, but
// allowed under CUDA's sync-debug mode for its lifetime.
class IntendedHostSync {
 public:
  IntendedHostSync();
  ~IntendedHostSync();
  IntendedHostSync(const IntendedHostSync&) = delete;
  IntendedHostSync& operator=(const IntendedHostSync&) = delete;

 private:
  int previous_;
};

}  // namespace pof
