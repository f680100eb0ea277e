// The training probe both user-network routes run before a phase's first epoch: the network in training
// mode at each batch size the phase will use, so that code failing only there (batch-size-dependent
// reshapes, BatchNorm at batch 1, a different graph in training) is refused before any work, as an
// OptionError naming the phase and batch size. The network is left as it was: its buffers (BatchNorm
// statistics), the default generator of its device (dropout) and its mode.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include "models/network.h"

namespace pof {

// `failure(batch)`: why the network in training mode cannot take a batch of that size; "" when it can.
// `subject` names the network in the message ("the TorchScript model net.pt").
void ProbeTraining(Network& network, const std::vector<int64_t>& batch_sizes, const std::string& phase,
                   const std::string& subject, const std::function<std::string(int64_t)>& failure);

// One probe run: `network` (in training mode) on the batch `x`; why its features or logits are not what the
// classifier takes, or the model's own error, in words; "" when they are. The device running out of memory is
// thrown, not returned: it is the device's limit, not the model's code.
std::string ProbeRunProblem(Network& network, const torch::Tensor& x, const std::string& features_call);

// What a probe's features must be, float [batch, D]: "" when they are; `features_call` names them ("features(x)").
std::string FeaturesProblem(const Network& network, int64_t batch, const torch::Tensor& features, const std::string& features_call);
// What a probe's logits must be, float [batch, C]: "" when they are.
std::string LogitsProblem(const Network& network, int64_t batch, const torch::Tensor& logits);

}  // namespace pof
