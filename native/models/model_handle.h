// A model as JS holds it: the network plus a busy flag, shared with any native work that uses it.
#pragma once
#include <atomic>
#include <memory>
#include "errors.h"
#include "models/network.h"

namespace pof {

struct ModelHandle {
  std::shared_ptr<Network> model;
  torch::Device device{torch::kCPU};
  std::atomic<bool> busy{false};

  // The network; an error once the model was disposed (its tensors freed).
  Network& Get() const {
    if (!model) throw UserError("the model was disposed: its tensors are freed; create a new trainer", ErrorKind::kDisposed);
    return *model;
  }
  // Marks the model busy for the lifetime of the returned token; throws when it already is.
  std::shared_ptr<void> Acquire(const char* what) {
    Get();
    bool expected = false;
    if (!busy.compare_exchange_strong(expected, true)) throw BusyFor(what);
    return std::shared_ptr<void>(nullptr, [this](void*) { busy = false; });
  }
  void CheckIdle(const char* what) const {
    Get();
    if (busy) throw BusyFor(what);
  }
  // Frees the network's tensors now (they are also freed when the last reference goes).
  void Dispose() {
    auto token = Acquire("dispose the model");
    model.reset();
  }

 private:
  static UserError BusyFor(const char* what) {
    return UserError(std::string("cannot ") + what +
                         ": the model is busy with another operation (await the running epoch, step or evaluation first)",
                     ErrorKind::kBusy);
  }
};

}  // namespace pof
