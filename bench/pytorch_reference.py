#!/usr/bin/env python3
"""The bench's SGD and SAM steps in PyTorch eager, for a side-by-side comparison with pof-torch.

Same WideResNet layout as native/models/wide_resnet.cc, same synthetic data resident on the device
(uint8 32x32x3 images gathered, converted and normalised per step), same batch size, same optimizer
(Nesterov SGD, momentum 0.9, weight decay 5e-4) and the same SAM step (BN running statistics updated
in the first pass only). Prints one JSON object: images per second, median over rounds.

    python3 bench/pytorch_reference.py --model wrn-16-4 --batch 64 --steps 6 --warmup 2 --threads 2
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from pof_wide_resnet import PoFWideResNet  # noqa: E402 (the built-in layout, shipped in python/)


def sgd_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


class FrozenBatchNormStats:
    """BN in training mode normalises with batch statistics but leaves its running statistics alone."""

    def __init__(self, model):
        self.layers = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]

    def __enter__(self):
        for m in self.layers:
            m.track_running_stats = False

    def __exit__(self, *exc):
        for m in self.layers:
            m.track_running_stats = True


def sam_step(model, optimizer, x, y, rho):
    params = [p for p in model.parameters()]
    original = [p.detach().clone() for p in params]
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    with torch.no_grad():
        norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
        scale = rho / (norm + 1e-12)
        for p in params:
            p.add_(p.grad * scale)
    optimizer.zero_grad()
    with FrozenBatchNormStats(model):
        F.cross_entropy(model(x), y).backward()
    with torch.no_grad():
        for p, o in zip(params, original):
            p.copy_(o)
    optimizer.step()
    return loss.detach()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default="wrn-16-4")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--rho", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    m = re.fullmatch(r"wrn-(\d+)-(\d+)", args.model)
    if not m:
        sys.exit(f"model '{args.model}' is unknown; expected wrn-<depth>-<widen>")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    model = PoFWideResNet(int(m.group(1)), int(m.group(2)), args.classes).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True)

    n = args.batch * max(args.steps, args.warmup)
    images = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, device=device)
    labels = torch.randint(0, args.classes, (n,), device=device)
    mean = torch.tensor([0.49, 0.48, 0.45], device=device).view(1, 3, 1, 1)
    std = torch.tensor([0.25, 0.24, 0.26], device=device).view(1, 3, 1, 1)

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def epoch(step, steps):
        order = torch.randperm(n, device=device)
        last = None
        for i in range(steps):
            idx = order[i * args.batch:(i + 1) * args.batch]
            x = (images.index_select(0, idx).float().div_(255.0) - mean).div_(std)
            last = step(x, labels.index_select(0, idx))
        float(last)  # one host read per epoch, as the native engine does
        synchronize()

    steps = {
        "sgd": lambda x, y: sgd_step(model, optimizer, x, y),
        "sam": lambda x, y: sam_step(model, optimizer, x, y, args.rho),
    }
    for step in steps.values():
        epoch(step, args.warmup)
    rates = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            started = time.perf_counter()
            epoch(step, args.steps)
            rates[name].append(args.steps * args.batch / (time.perf_counter() - started))
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    print(json.dumps({
        "torch": torch.__version__, "device": str(device), "threads": torch.get_num_threads(),
        "model": args.model, "batch": args.batch, "steps": args.steps, "rounds": args.rounds,
        "imagesPerSecond": {name: statistics.median(r) for name, r in rates.items()},
        "rounds_imagesPerSecond": rates, "cudaPeakMemoryMB": peak,
    }))


if __name__ == "__main__":
    main()
