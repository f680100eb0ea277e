#!/usr/bin/env python3
"""The Python side of bench/exported.ts: the networks, their two exports, and eager PyTorch's steps on request.

    python3 bench/exported_reference.py prepare DIR [--batch B]
        For each network (resnet18: BasicBlock [2,2,2,2], widths 64-512, a CIFAR stem, 11.2M parameters, 3x32x32;
        vit: test/fixtures/python/exported_networks.py's small ViT, 3x8x8; cnn: its tiny residual CNN, 3x8x8), built
        after torch.manual_seed(0): DIR/NAME.pt2 (python/export_program.py), DIR/NAME.ts.pt (python/export_torchscript.py),
        DIR/NAME.state.pt (its state dict), DIR/NAME.inputs.f32 and DIR/NAME.labels.i32 (2B examples, raw: B~ = the first B, PoF's B = the next B).
        Prints one JSON line: { NAME: { pt2, torchScript, classifier, inputShape, numClasses, parameters, trainNodes (of
        the training-mode graph), examples, inputs, labels } }.
    python3 bench/exported_reference.py serve DIR --threads N
        Loads every network's state dict into its nn.Module (training mode) and answers commands on stdin, one JSON
        line each: "NAME sgd K" / "NAME pof K" times K eager steps -> { "seconds": total }; "quit" ends.

An eager step is test/fixtures/python/eager_steps.py's sgd_step or pof_step on the same fixed batch the node side
gives trainer.step: a fresh torch.optim.SGD (Nesterov, momentum 0.9, weight decay 5e-4) per step, as trainer.step
makes a fresh optimizer, and no gradients left from the step before (backward accumulates into .grad).
"""
import argparse
import json
import os
import sys
import time
import zipfile

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures", "python"))
import eager_steps  # noqa: E402
import exported_networks  # noqa: E402
from export_program import export as export_program  # noqa: E402
from export_torchscript import export as export_torchscript  # noqa: E402

LR = {"sgd": 0.01, "pof": 3e-5}  # SGD below pof-torch's default 0.1: random labels must not drive the weights to NaN


class ResNet18(nn.Module):
    """ResNet-18's layout (BasicBlock [2, 2, 2, 2], widths 64-512) with CIFAR's stem: a 3x3 convolution, no max-pool."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, width = [], 64
        for out, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [exported_networks.Residual(width, out, stride), exported_networks.Residual(out, out, 1)]
            width = out
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


# name -> (constructor, classifier path, one example's shape, classes)
NETWORKS = {
    "resnet18": (ResNet18, "fc", [3, 32, 32], 10),
    "vit": (exported_networks.Vit, "head", [3, 8, 8], 10),
    "cnn": (exported_networks.Cnn, "fc", [3, 8, 8], 10),  # ResNet's ops at a tiny size: the fixed costs of a step show
}


def build(name: str) -> nn.Module:
    torch.manual_seed(0)
    return NETWORKS[name][0]()


def graph_nodes(file: str, program: str) -> int:
    """The nodes of one program's graph in the archive: what the runtime interprets per forward pass."""
    with zipfile.ZipFile(file) as archive:
        entry = next(n for n in archive.namelist() if n.endswith(f"/models/{program}.json"))
        return len(json.loads(archive.read(entry))["graph_module"]["graph"]["nodes"])


def prepare(directory: str, batch: int) -> dict:
    os.makedirs(directory, exist_ok=True)
    described = {}
    for name, (_, classifier, shape, classes) in NETWORKS.items():
        model = build(name)
        base = os.path.join(directory, name)
        example = torch.randn(2, *shape)
        export_program(model, (example,), classifier, base + ".pt2")
        export_torchscript(model, classifier, base + ".ts.pt", example)
        torch.save(model.state_dict(), base + ".state.pt")
        generator = torch.Generator().manual_seed(1)
        torch.randn(2 * batch, *shape, generator=generator).numpy().tofile(base + ".inputs.f32")
        torch.randint(classes, (2 * batch,), generator=generator, dtype=torch.int32).numpy().tofile(base + ".labels.i32")
        described[name] = {"pt2": base + ".pt2", "torchScript": base + ".ts.pt", "classifier": classifier, "inputShape": shape,
                           "numClasses": classes, "parameters": sum(p.numel() for p in model.parameters()),
                           "trainNodes": graph_nodes(base + ".pt2", "train"),
                           "examples": 2 * batch, "inputs": base + ".inputs.f32", "labels": base + ".labels.i32"}
    return described


class Eager:
    """One network in training mode with its fixed batches x (B~) and xb (PoF's B)."""

    def __init__(self, directory: str, name: str):
        _, classifier, shape, _ = NETWORKS[name]
        self.model = build(name)
        self.model.load_state_dict(torch.load(os.path.join(directory, name + ".state.pt"), weights_only=True), strict=True)
        self.model.train()
        self.classifier = self.model.get_submodule(classifier)
        inputs = torch.from_file(os.path.join(directory, name + ".inputs.f32"), dtype=torch.float32,
                                 size=os.path.getsize(os.path.join(directory, name + ".inputs.f32")) // 4)
        inputs = inputs.reshape(-1, *shape)
        labels = torch.from_file(os.path.join(directory, name + ".labels.i32"), dtype=torch.int32, size=inputs.shape[0]).long()
        half = inputs.shape[0] // 2
        self.x, self.y, self.xb, self.yb = inputs[:half], labels[:half], inputs[half:], labels[half:]

    def step(self, method: str) -> None:
        o = {**eager_steps.DEFAULTS, "lr": LR[method]}
        self.model.zero_grad(set_to_none=True)
        if method == "sgd":
            eager_steps.sgd_step(self.model, self.x, self.y, o)
        else:
            eager_steps.pof_step(self.model, self.classifier, self.x, self.y, self.xb, self.yb, o)


def serve(directory: str) -> None:
    networks = {name: Eager(directory, name) for name in NETWORKS}
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        if len(words) != 3 or words[0] not in networks or words[1] not in LR or not words[2].isdigit():
            print(json.dumps({"error": f"expected 'NAME sgd|pof K' or 'quit', got {line.strip()!r}"}), flush=True)
            continue
        network, method, steps = networks[words[0]], words[1], int(words[2])
        started = time.perf_counter()
        for _ in range(steps):
            network.step(method)
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["prepare", "serve"])
    parser.add_argument("directory")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.mode == "prepare":
        print(json.dumps(prepare(args.directory, args.batch)))
    else:
        serve(args.directory)


if __name__ == "__main__":
    main()
