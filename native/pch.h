// Precompiled header: the heavy LibTorch and Node-API includes, parsed once per build.
#pragma once
#include <torch/torch.h>
#include <napi.h>
