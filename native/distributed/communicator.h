// The ranks of a data-parallel job and the collectives between them (PyTorch's c10d underneath:
// Gloo for CPU tensors, NCCL for CUDA ones when built with it). One process of the job per rank.
#pragma once
#include <torch/torch.h>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pof {

enum class ReduceOp { kSum, kMin, kMax };

// How a rank finds the others: a TCPStore at master_addr:master_port, hosted by rank 0 or, under
// torchrun, by its agent (agent_store). Every collective fails with a named error after `timeout`.
struct ProcessGroupOptions {
  int64_t rank = 0;
  int64_t world_size = 1;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  std::string backend = "gloo";       // "gloo", or "nccl" for CUDA tensors
  std::chrono::milliseconds timeout{600000};
  bool agent_store = false;           // TORCHELASTIC_USE_AGENT_STORE: connect, never serve
  int64_t restart_count = 0;          // TORCHELASTIC_RESTART_COUNT: keys of a restarted job start afresh

  // rank in 0..world_size-1, a port in 1..65535, a known backend, timeout > 0.
  void Validate() const;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int64_t rank() const = 0;
  virtual int64_t world_size() const = 0;
  virtual std::string backend() const = 0;
  // Every tensor in place, each with the same shape on every rank (CPU tensors, or CUDA with NCCL).
  virtual void AllReduce(const std::vector<torch::Tensor>& tensors, ReduceOp op) = 0;
  virtual void Broadcast(const std::vector<torch::Tensor>& tensors, int64_t root) = 0;
  virtual void Barrier() = 0;
};

// Whether this build has c10d (its Gloo headers were found) and NCCL.
bool DistributedAvailable();
bool NcclAvailable();

// Joins the job: waits for every rank (up to the timeout). Without c10d in this build: a UserError
// saying how to build it.
std::shared_ptr<Communicator> ConnectProcessGroup(const ProcessGroupOptions& options);

}  // namespace pof
