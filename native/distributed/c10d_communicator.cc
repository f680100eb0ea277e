// The Communicator over c10d process groups. Compiled to a clear error when the build found no Gloo
// headers (scripts/find-libtorch.js defines USE_C10D_GLOO then, for the whole addon).
#include <torch/torch.h>
#include <algorithm>
#include <utility>
#include "distributed/communicator.h"
#include "errors.h"
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace pof {

void ProcessGroupOptions::Validate() const {
  if (world_size < 1) throw UserError("distributed: worldSize must be >= 1, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size) {
    throw UserError("distributed: rank must be in 0.." + std::to_string(world_size - 1) + " (worldSize " +
                    std::to_string(world_size) + "), got " + std::to_string(rank));
  }
  if (master_port < 1 || master_port > 65535) {
    throw UserError("distributed: masterPort must be in 1..65535, got " + std::to_string(master_port));
  }
  if (master_addr.empty()) throw UserError("distributed: masterAddr must not be empty");
  if (backend != "gloo" && backend != "nccl") {
    throw UserError("distributed: backend must be 'gloo' or 'nccl', got '" + backend + "'");
  }
  if (timeout.count() < 1) throw UserError("distributed: timeoutMs must be >= 1, got " + std::to_string(timeout.count()));
  if (restart_count < 0) throw UserError("distributed: the restart count must be >= 0");
}

bool DistributedAvailable() {
#ifdef USE_C10D_GLOO
  return true;
#else
  return false;
#endif
}

bool NcclAvailable() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

#ifdef USE_C10D_GLOO
namespace {

c10d::ReduceOp ToC10d(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return c10d::ReduceOp::SUM;
    case ReduceOp::kMin: return c10d::ReduceOp::MIN;
    case ReduceOp::kMax: break;
  }
  return c10d::ReduceOp::MAX;
}

class C10dCommunicator : public Communicator {
 public:
  C10dCommunicator(const ProcessGroupOptions& o) : options_(o) {
    Named("joining the job", [&] {
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<uint16_t>(o.master_port);
      store_options.isServer = o.rank == 0 && !o.agent_store;
      store_options.numWorkers = static_cast<size_t>(o.world_size);
      store_options.timeout = o.timeout;
      auto tcp = c10::make_intrusive<c10d::TCPStore>(o.master_addr, store_options);
      // torchrun's own keys live under /worker/attempt_N; ours beside them, fresh for each restart.
      auto store = c10::make_intrusive<c10d::PrefixStore>("/pof-torch/attempt_" + std::to_string(o.restart_count), tcp);
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(o.timeout);
      // The default device follows GLOO_SOCKET_IFNAME (or the host name): it works across machines.
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      gloo_ = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store),
                                                          static_cast<int>(o.rank), static_cast<int>(o.world_size),
                                                          gloo_options);
#ifdef USE_C10D_NCCL
      if (o.backend == "nccl") {
        auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
        nccl_options->timeout = o.timeout;
        nccl_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", store),
                                                            static_cast<int>(o.rank), static_cast<int>(o.world_size),
                                                            nccl_options);
      }
#endif
    });
  }

  int64_t rank() const override { return options_.rank; }
  int64_t world_size() const override { return options_.world_size; }
  std::string backend() const override { return nccl_ ? "nccl" : "gloo"; }

  void AllReduce(const std::vector<torch::Tensor>& tensors, ReduceOp op) override {
    c10d::AllreduceOptions options;
    options.reduceOp = ToC10d(op);
    options.timeout = options_.timeout;
    EachThenWait("an all-reduce", tensors, [&](c10d::Backend& b, std::vector<at::Tensor>& one) { return b.allreduce(one, options); });
  }

  void Broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) override {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.timeout = options_.timeout;
    EachThenWait("a broadcast", tensors, [&](c10d::Backend& b, std::vector<at::Tensor>& one) { return b.broadcast(one, options); });
  }

  void Barrier() override {
    Named("a barrier", [&] {
      c10d::BarrierOptions options;
      options.timeout = options_.timeout;
      gloo_->barrier(options)->wait();
    });
  }

 private:
  // c10d takes one tensor per call (its vector is for several devices): start every call, then wait.
  template <typename Start>
  void EachThenWait(const char* what, const std::vector<torch::Tensor>& tensors, Start start) {
    Named(what, [&] {
      std::vector<std::vector<at::Tensor>> held;
      held.reserve(tensors.size());
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      for (const auto& t : tensors) {
        held.push_back({t});
        works.push_back(start(For(t), held.back()));
      }
      for (auto& w : works) w->wait();
    });
  }

  c10d::Backend& For(const torch::Tensor& t) {
    if (t.is_cuda() && nccl_) return *nccl_;
    return *gloo_;
  }

  // A failure of another rank (it died, hung past the timeout, or never came) as one named error: which rank
  // was lost and what to do first, Gloo's (or NCCL's) own words last, as the cause.
  template <typename Fn>
  void Named(const char* what, Fn&& fn) {
    try {
      fn();
    } catch (const UserError&) {
      throw;
    } catch (const std::exception& e) {
      const auto* c10 = dynamic_cast<const c10::Error*>(&e);
      std::string cause = CleanMessage(c10 ? c10->what_without_backtrace() : e.what());
      // Gloo starts its messages with its source location ("[.../gloo/transport/tcp/pair.cc:537] ").
      if (!cause.empty() && cause.front() == '[' && cause.find("] ") != std::string::npos) {
        cause = cause.substr(cause.find("] ") + 2);
      }
      throw UserError("distributed: rank " + std::to_string(options_.rank) + " of " + std::to_string(options_.world_size) +
                          " failed in " + what + ": it lost " + OtherRanks() +
                          ": it stopped, failed, or did not answer within the timeout (" +
                          c10::str(options_.timeout.count() / 1000.0) + " s, store " + options_.master_addr + ":" +
                          std::to_string(options_.master_port) + "). The job cannot go on: look for the lost rank's own "
                          "error in its log, then start the job again resuming from the last checkpoint (the resume "
                          "option, or --resume; checkpoints are written whole, so it is intact). " + backend() + " said: " + cause,
                      ErrorKind::kDistributed);
    }
  }

  // The ranks this one talks to: the peer of a job of two, else every other rank (the transport's message names
  // an address, not a rank).
  std::string OtherRanks() const {
    if (options_.world_size == 2) return "rank " + std::to_string(1 - options_.rank);
    return "one of the other " + std::to_string(options_.world_size - 1) + " ranks";
  }

  ProcessGroupOptions options_;
  c10::intrusive_ptr<c10d::Backend> gloo_;
  c10::intrusive_ptr<c10d::Backend> nccl_;
};

}  // namespace

std::shared_ptr<Communicator> ConnectProcessGroup(const ProcessGroupOptions& options) {
  options.Validate();
#ifndef USE_C10D_NCCL
  if (options.backend == "nccl") {
    throw UserError("distributed: backend 'nccl' is not in this build (no NCCL header was found when it was built); use "
                    "'gloo', or install a CUDA torch (its nvidia-nccl package has the header) and rebuild: npm rebuild pof-torch",
                    ErrorKind::kDevice);
  }
#endif
  return std::make_shared<C10dCommunicator>(options);
}

#else

std::shared_ptr<Communicator> ConnectProcessGroup(const ProcessGroupOptions& options) {
  options.Validate();
  throw UserError("distributed training is not in this build of pof-torch: it needs the Gloo headers at build time. "
                  "Install them (Debian/Ubuntu: apt-get install libgloo-dev; or set GLOO_INCLUDE_DIR to a directory "
                  "holding gloo/config.h) and rebuild: npm rebuild pof-torch",
                  ErrorKind::kDevice);
}

#endif

}  // namespace pof
