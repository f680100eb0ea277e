"""Export a PyTorch classifier for pof-torch's `models.torchScript(...)`.

PoF needs the network split into a feature extractor F_phi (x -> [N, D]) and a final nn.Linear
classifier theta. `export` wraps any nn.Module whose last step is such a Linear (torchvision's `fc`,
timm's `head`, ...): the Linear moves to the wrapper's `classifier`, its place in the model becomes an
identity, and the wrapper gets a `features` method. The result is compiled with torch.jit.script
(torch.jit.trace with the example input when scripting fails and the model has no BatchNorm or
Dropout, whose train/eval behaviour a trace would freeze), checked to compute the same logits as
the original on the example input, and saved with torch.jit.save.

    from export_torchscript import export
    export(torchvision.models.resnet18(num_classes=10), classifier="fc", file="resnet18.pt",
           example_input=torch.randn(2, 3, 32, 32))

or from the shell, for a model a Python expression builds:

    python3 python/export_torchscript.py --model "torchvision.models.resnet18(num_classes=10)" \
        --classifier fc --input-shape 3,32,32 --out resnet18.pt
"""
import argparse
import copy
import importlib

import torch
from torch import nn


class PoFNetwork(nn.Module):
    """`body` (the model with its classifier replaced by an identity) and `classifier` (that Linear)."""

    def __init__(self, body: nn.Module, classifier: nn.Linear):
        super().__init__()
        self.body = body
        self.classifier = classifier

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.body(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class ScriptedPoFNetwork(PoFNetwork):
    """The same, with `features` compiled too when scripted (tracing records each method itself)."""

    @torch.jit.export
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.body(x), 1)


def _split(model: nn.Module, path: str):
    """A deep copy of `model` with the Linear at the dotted `path` replaced by nn.Identity, and that Linear."""
    body = copy.deepcopy(model)
    *parents, name = path.split(".")
    owner = body
    for part in parents:
        owner = getattr(owner, part)
    linear = getattr(owner, name, None)
    if not isinstance(linear, nn.Linear) or linear.bias is None:
        names = [n for n, _ in model.named_modules() if n]
        raise ValueError(f"'{path}' must name an nn.Linear with a bias; the model's submodules are: {', '.join(names)}")
    setattr(owner, name, nn.Identity())
    return body, linear


def export(model: nn.Module, classifier: str, file: str, example_input: torch.Tensor) -> torch.jit.ScriptModule:
    """Wraps, compiles, checks and saves `model`; returns the compiled module."""
    model = model.eval()
    body, linear = _split(model, classifier)
    try:
        compiled = torch.jit.script(ScriptedPoFNetwork(body, linear).eval())
    except Exception as error:  # a model TorchScript cannot compile: trace both methods instead
        reason = f"torch.jit.script failed ({type(error).__name__}: {str(error).splitlines()[0]})"
        # A trace records one mode: BatchNorm and Dropout would then train and evaluate alike.
        moded = [n for n, m in model.named_modules() if isinstance(m, (nn.modules.batchnorm._NormBase, nn.modules.dropout._DropoutNd))]
        if moded:
            raise ValueError(f"{reason}, and tracing instead would fix the train/eval behaviour of {', '.join(moded[:5])}; "
                             "make the model scriptable (its source must be in a .py file)") from error
        print(f"{reason}; tracing with the example input")
        compiled = torch.jit.trace_module(PoFNetwork(body, linear).eval(), {"forward": example_input, "features": example_input})
    with torch.no_grad():
        expected, got = model(example_input), compiled(example_input)
    if not torch.allclose(expected, got, rtol=1e-4, atol=1e-5):
        raise ValueError(f"the exported model's logits differ from the original's by up to {(expected - got).abs().max():.3g}; "
                         f"is '{classifier}' applied last, to the flattened features?")
    compiled.train()
    torch.jit.save(compiled, file)
    return compiled


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help='a Python expression that builds the model, e.g. "torchvision.models.resnet18(num_classes=10)"')
    parser.add_argument("--classifier", required=True, help="the dotted attribute path of its final nn.Linear, e.g. fc or head.fc")
    parser.add_argument("--input-shape", required=True, help="one example's shape, e.g. 3,32,32")
    parser.add_argument("--weights", help="a torch.save state_dict to load into the model first")
    parser.add_argument("--out", required=True, help="the TorchScript file to write")
    args = parser.parse_args()
    modules = {args.model.split(".")[0]: importlib.import_module(args.model.split(".")[0])} if "." in args.model.split("(")[0] else {}
    model = eval(args.model, {"torch": torch, "nn": nn, **modules})  # the user's own expression, run as they wrote it
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    shape = [int(d) for d in args.input_shape.split(",")]
    export(model, args.classifier, args.out, torch.randn(2, *shape))
    print(f"wrote {args.out}: features(x) -> [N, D], classifier '{args.classifier}' as 'classifier'")


if __name__ == "__main__":
    main()
