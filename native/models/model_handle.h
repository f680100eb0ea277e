// A model as JS holds it: the network plus a busy flag, shared with any native work that uses it.
#pragma once
#include <atomic>
#include <memory>
#include "errors.h"
#include "models/model.h"

namespace pof {

struct ModelHandle {
  Model model;
  torch::Device device{torch::kCPU};
  std::atomic<bool> busy{false};

  // Marks the model busy for the lifetime of the returned token; throws when it already is.
  std::shared_ptr<void> Acquire(const char* what) {
    bool expected = false;
    if (!busy.compare_exchange_strong(expected, true)) {
      throw UserError(std::string("cannot ") + what +
                      ": the model is busy with another operation (await the running epoch, step or evaluation first)");
    }
    return std::shared_ptr<void>(nullptr, [this](void*) { busy = false; });
  }
  void CheckIdle(const char* what) const {
    if (busy) {
      throw UserError(std::string("cannot ") + what +
                      ": the model is busy with another operation (await the running epoch, step or evaluation first)");
    }
  }
};

}  // namespace pof
