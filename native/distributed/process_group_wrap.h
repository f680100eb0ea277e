// The JS ProcessGroup: one rank's membership of a data-parallel job (connectProcessGroup), handed to
// an Engine (joinProcessGroup) and used by the TypeScript layer for barriers and small agreements.
#pragma once
#include <napi.h>
#include <memory>
#include "distributed/communicator.h"
#include "register.h"

namespace pof {

class ProcessGroupWrap : public GuardedObjectWrap<ProcessGroupWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ProcessGroupWrap(const Napi::CallbackInfo& info);
  static Napi::Object New(Napi::Env env, std::shared_ptr<Communicator> communicator);
  static std::shared_ptr<Communicator> FromJs(const Napi::Value& value);

 private:
  Napi::Value Rank(const Napi::CallbackInfo& info);
  Napi::Value WorldSize(const Napi::CallbackInfo& info);
  Napi::Value Backend(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value AllReduce(const Napi::CallbackInfo& info);
  Napi::Value Broadcast(const Napi::CallbackInfo& info);
  Communicator& Get() const;
  std::shared_ptr<Communicator> communicator_;
};

// exports: ProcessGroup, connectProcessGroup(options) -> Promise<ProcessGroup>.
void InitDistributed(Napi::Env env, Napi::Object exports);

}  // namespace pof
