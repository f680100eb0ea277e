"""Export a PyTorch classifier for pof-torch: `models.exported({ file, classifier })`, `--model export:FILE`.

One `.pt2` archive (torch.export's format) holds two programs of the model over one set of weights:
"model", the evaluation-mode graph (what `torch.export.load` returns), and "train", the training-mode
graph (BatchNorm on batch statistics, dropout on), both with a dynamic batch dimension. Parameters and
buffers keep the model's own names, so its `state_dict` imports as it is and the post-trained weights load
back into the model with `load_state_dict(strict=True)`. The classifier is the model's final nn.Linear,
named by its own dotted path ('fc', 'head.fc'; '1' in an nn.Sequential); PoF perturbs it and trains the
rest. Before writing, both programs are checked against the eager model: the same logits in both modes
(dropout under the same seed) and on another batch size. The model itself is left as it was: its
train/eval modes, BatchNorm statistics and torch's random state.

    from export_program import export
    export(model, (torch.randn(2, 3, 32, 32),), classifier="fc", file="net.pt2")

or from the shell, in the directory of the module that defines the model:

    python3 python/export_program.py --model 'mymodels.Net(10)' --input-shape 3,32,32 --classifier fc --out net.pt2
"""
import argparse
import ast
import builtins
import contextlib
import importlib
import inspect
import os
import sys
import tempfile
import time
import types
import zipfile

import torch
from torch import nn

MESSAGE_LIMIT = 800  # characters of torch's own error text kept in ours
LIST_LIMIT = 8  # names shown of a long list
TOLERANCE = 1e-5  # relative: max |program - eager| / max |eager|
PROGRAMS = {"model": False, "train": True}  # archive name -> training mode; "model" is what torch.export.load returns


class ExportError(Exception):
    """The model cannot be exported for pof-torch; the message says why and what to change."""


def _cut(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = text.strip()
    return text if len(text) <= limit else f"{text[:limit]} ... ({len(text) - limit} more characters)"


def _listing(names) -> str:
    names = list(names)
    shown = ", ".join(f"'{n}'" for n in names[:LIST_LIMIT])
    return shown + (f" and {len(names) - LIST_LIMIT} more" if len(names) > LIST_LIMIT else "") if names else "none"


def _archive_internals():
    """torch's PT2 archive writer: public API writes each program's weights again, so two programs sharing one
    set of weights need its internals (torch 2.13)."""
    try:
        from torch.export.pt2_archive import _package as package
        from torch.export.pt2_archive import constants
        for name in ("PT2ArchiveWriter", "_package_state_dict", "_package_constants", "_package_payload_config", "serialize",
                     "load_pt2"):
            getattr(package, name)
        for name in ("WEIGHTS_CONFIG_FILENAME_FORMAT", "CONSTANTS_CONFIG_FILENAME_FORMAT", "MODELS_FILENAME_FORMAT",
                     "SAMPLE_INPUTS_FILENAME_FORMAT", "WEIGHTS_DIR", "WEIGHT_FILENAME_PREFIX"):
            getattr(constants, name)
    except (ImportError, AttributeError) as error:
        raise ExportError(f"torch {torch.__version__} lacks the torch.export.pt2_archive internals this helper writes two "
                          f"programs over one set of weights with ({error}); it needs torch 2.13 or a later release that "
                          "still has torch.export.pt2_archive._package (PT2ArchiveWriter, _package_state_dict, "
                          "_package_constants, _package_payload_config, serialize)") from error
    return package, constants


def check_classifier(model: nn.Module, path: str) -> nn.Linear:
    """The nn.Linear at the dotted `path` of `model` (with a bias or not)."""
    linears = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    try:
        module = model.get_submodule(path) if path else None
    except AttributeError:
        module = None
    if module is None:
        raise ExportError(f"classifier '{path}' is not a submodule of {type(model).__name__}; its nn.Linear submodules: "
                          f"{_listing(linears)}")
    if not isinstance(module, nn.Linear):
        raise ExportError(f"classifier '{path}' is a {type(module).__name__}, not an nn.Linear (PoF perturbs a Linear "
                          f"classifier's weights); the model's nn.Linear submodules: {_listing(linears)}")
    return module


def check_plain_tensors(model: nn.Module) -> None:
    """Refuses tensor subclasses (quantized, distributed, ...): the archive would pickle them and pof-torch reads raw storages."""
    tensors = [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]
    odd = [f"{name} ({type(t.data).__name__})" for name, t in tensors if type(t.data) is not torch.Tensor]
    if odd:
        raise ExportError(f"weights that are tensor subclasses cannot be exported for pof-torch: {_listing(odd)}; "
                          "convert them to plain tensors first (e.g. dequantize, or full_tensor() for a DTensor)")


@contextlib.contextmanager
def untouched(model: nn.Module):
    """Restores every submodule's train/eval mode, every buffer and torch's CPU random state after the block:
    exporting and checking run the model in training mode, which moves BatchNorm statistics and draws dropout."""
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    rng = torch.get_rng_state()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)
        torch.set_rng_state(rng)


def _with_batch_of_two(inputs):
    """A batch of 1 would make torch.export specialise the batch dimension: repeat it to 2."""
    return tuple(torch.cat([t, t]) if t.shape[0] == 1 else t for t in inputs)


def _export_program(model: nn.Module, inputs, training: bool, dynamic_batch: bool):
    model.train(training)
    mode = "training" if training else "evaluation"
    batch = torch.export.Dim("batch", min=1)
    shapes = tuple({0: batch} for _ in inputs) if dynamic_batch else None
    try:
        return torch.export.export(model, inputs, dynamic_shapes=shapes)
    except Exception as error:  # torch's message is long: cut it and add what usually fixes it
        text = str(error)
        if dynamic_batch and ("Constraints violated" in text or "specialized" in text):
            hint = ("the model fixes the batch size somewhere (a reshape or view with a literal batch): write -1 or "
                    "x.shape[0] there (or export with dynamic_batch=False / --static-batch)")
        else:
            hint = ("torch.export traces forward() once: data-dependent Python control flow must become torch.cond, "
                    "and .item()/.tolist() on tensors must go; see https://pytorch.org/docs/stable/export.html")
        raise ExportError(f"torch.export.export failed in {mode} mode: {type(error).__name__}: {_cut(text)}\nhint: {hint}") from error


def _same_tensor(a, b) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a is b or (a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b))
    return a is b


def _write_archive(file: str, programs: dict) -> None:
    """One archive, every program's weights config naming the same weight files (the programs come from one
    module, so their state dicts hold the same tensors); constants are shared where equal, else written too."""
    package, constants = _archive_internals()
    first = programs["model"]
    with package.PT2ArchiveWriter(file) as writer:
        weights = package._package_state_dict("model", first, writer)
        shared_constants = package._package_constants("model", first, writer)
        for name, program in programs.items():
            if program.state_dict.keys() != first.state_dict.keys() or any(
                    program.state_dict[k] is not first.state_dict[k] for k in first.state_dict):
                raise ExportError(f"the '{name}' program's weights are not the 'model' program's (internal error: both "
                                  "come from one module)")
            config = shared_constants
            if program is not first:
                own = {k: v for k, v in program.constants.items() if not _same_tensor(v, first.constants.get(k))}
                written = package._package_constants(name, types.SimpleNamespace(constants=own), writer)
                config = type(shared_constants)(config={**{k: m for k, m in shared_constants.config.items()
                                                          if k in program.constants}, **written.config})
            package._package_payload_config(writer, weights, constants.WEIGHTS_CONFIG_FILENAME_FORMAT.format(name))
            package._package_payload_config(writer, config, constants.CONSTANTS_CONFIG_FILENAME_FORMAT.format(name))
            artifact = package.serialize(program, serialize_state_dict=False, serialize_constants=False)
            writer.write_bytes(constants.MODELS_FILENAME_FORMAT.format(name), artifact.exported_program)
            writer.write_bytes(constants.SAMPLE_INPUTS_FILENAME_FORMAT.format(name), artifact.example_inputs)


def _weight_files(file: str) -> int:
    _, constants = _archive_internals()
    prefix = constants.WEIGHTS_DIR + constants.WEIGHT_FILENAME_PREFIX
    with zipfile.ZipFile(file) as archive:
        return sum(1 for n in archive.namelist() if n.split("/", 1)[-1].startswith(prefix))


def _distinct_storages(program) -> int:
    return len({t.untyped_storage().data_ptr() for t in program.state_dict.values()})


def _relative_difference(got: torch.Tensor, expected: torch.Tensor) -> float:
    return float((got - expected).abs().max() / expected.abs().max().clamp_min(1e-12)) if expected.numel() else 0.0


def _unwrapped(out):
    """The logits in a model's output: the tensor itself, or the `.logits` of a Hugging Face ModelOutput."""
    if isinstance(out, torch.Tensor):
        return out
    logits = getattr(out, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    raise ExportError(f"the model returns a {type(out).__name__}; pof-torch needs the logits tensor (or an output with "
                      "a .logits tensor, as Hugging Face models return): pass features=... (--features) to say where "
                      "the classifier's input is")


def _logits(module, inputs) -> torch.Tensor:
    return _unwrapped(module(*inputs))


def timm_pre_logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """features='pre_logits': timm's own split of a model into features and head."""
    return model.forward_head(model.forward_features(x), pre_logits=True)


def _features_function(model: nn.Module, features):
    if features is None or callable(features):
        return features
    if features == "pre_logits":
        if not (callable(getattr(model, "forward_features", None)) and callable(getattr(model, "forward_head", None))):
            raise ExportError(f"features='pre_logits' needs a model with forward_features and forward_head(x, pre_logits=True) "
                              f"(timm's models); {type(model).__name__} has not both: pass a function "
                              "features(model, x) that returns the classifier's input")
        return timm_pre_logits
    raise ExportError(f"features must be None, 'pre_logits' or a function features(model, x), got {features!r}")


def _head_for(model: nn.Module, path: str) -> nn.Module:
    """What is applied to the pre-logits: inside the head timm's get_classifier() returns, the largest module on the
    way down to the classifier that holds no other Linear (LeViT's NormLinear, BatchNorm + Linear; RepViT's
    classifier holds two such heads: one of them), else the classifier itself."""
    get = getattr(model, "get_classifier", None)
    heads = get() if callable(get) else None
    tops = {id(h) for h in (heads if isinstance(heads, (tuple, list)) else [heads]) if isinstance(h, nn.Module)}
    parts = path.split(".")
    chain = [model.get_submodule(".".join(parts[:k])) for k in range(1, len(parts) + 1)]  # outermost first
    inside = next((k for k, m in enumerate(chain) if id(m) in tops), None)
    if inside is None:
        return chain[-1]
    return next(m for m in chain[inside:] if sum(isinstance(x, nn.Linear) for x in m.modules()) == 1)


@contextlib.contextmanager
def pof_forward(model: nn.Module, classifier: str, features=None, pad_id=None):
    """For the block, `model` computes what pof-torch trains (set_pof_forward); its own class is back after."""
    original = set_pof_forward(model, classifier, features, pad_id)
    try:
        yield model
    finally:
        model.__class__ = original


def set_pof_forward(model: nn.Module, classifier: str, features=None, pad_id=None) -> type:
    """Makes `model` compute what pof-torch trains: its logits as a tensor (a ModelOutput's .logits), with
    `attention_mask = (ids != pad_id)` when `pad_id` is given, and, with `features`, the head applied to
    features(model, x). The model's class becomes a subclass with that forward, so its parameter names stay its
    own and its state dict loads back strictly. Returns the class it had (assign it to model.__class__ to undo)."""
    original = type(model)
    if pad_id is not None and "attention_mask" not in inspect.signature(original.forward).parameters:
        raise ExportError(f"pad_id: {original.__name__}.forward takes no attention_mask")
    extract = _features_function(model, features)
    check_classifier(model, classifier)
    head = _head_for(model, classifier) if extract else None

    def forward(self, x):
        if extract is not None:
            return head(extract(self, x))
        mask = {"attention_mask": (x != pad_id).long()} if pad_id is not None else {}
        return _unwrapped(original.forward(self, x, **mask))

    model.__class__ = type(original.__name__, (original,), {"forward": forward, "__module__": original.__module__})
    return original


def _linear_outputs(model: nn.Module, inputs):
    """Every nn.Linear's outputs in one evaluation-mode pass, by path, and the logits."""
    outputs = {}
    handles = [m.register_forward_hook(lambda module, args, out, name=name: outputs.setdefault(name, []).append(out))
               for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    try:
        logits = _logits(model.eval(), inputs)
    finally:
        for h in handles:
            h.remove()
    return outputs, logits


def _head_case(outputs: dict, path: str, logits: torch.Tensor) -> str:
    """Which shape of head the model has, in words, when `path` is not applied once, last."""
    own = outputs.get(path, [])
    if not own:
        return f"classifier '{path}' does not run in forward"
    if len(own) > 1:
        return f"classifier '{path}' runs {len(own)} times in one forward pass"
    out = own[0]
    if out.shape != logits.shape:
        return (f"classifier '{path}' is a Linear followed by pooling or other ops: its output {list(out.shape)} becomes "
                f"the model's {list(logits.shape)} after it (a per-token head pooled afterwards, as GPT-2's score)")
    for other, theirs in outputs.items():
        if other != path and len(theirs) == 1 and theirs[0].shape == out.shape and torch.allclose((out + theirs[0]) / 2, logits,
                                                                                                    rtol=1e-5, atol=1e-6):
            return (f"the model averages two Linear heads, '{path}' and '{other}' (a distillation head, as timm's LeViT, "
                    "EfficientFormer and RepViT)")
    return f"classifier '{path}' is followed by other ops: the model's output is not its output"


def _way_out(model: nn.Module, path: str) -> str:
    if callable(getattr(model, "forward_head", None)) and callable(getattr(model, "forward_features", None)):
        return ("the model says where its features are (forward_head(x, pre_logits=True)): export with features="
                "'pre_logits' (CLI --features pre-logits), which trains and perturbs the head holding "
                f"'{path}' alone (a second head stays in the weights, unused); in PyTorch afterwards, compute the "
                "logits the same way: inside export_program.pof_forward(model, classifier, features='pre_logits')")
    top = path.split(".")[0]
    body = next((name for name, _ in model.named_children() if name != top), "backbone")
    return ("say where the features are with a function from the model and its input to the classifier's input "
            "([N, features]), e.g. for a head pooled at the last token:\n"
            f"    features = lambda model, x: model.{body}(x)[:, -1]   # your model's own modules, then its pooling\n"
            f"    export(model, inputs, classifier='{path}', file='net.pt2', features=features)\n"
            f"  (CLI: --features 'lambda model, x: model.{body}(x)[:, -1]'; a transformers backbone returns an output "
            "object: take its .last_hidden_state); the exported model is then "
            f"'{path}'(features(model, x)), under the model's own parameter names")


def _check_applied_last(model: nn.Module, path: str, inputs) -> None:
    """PoF perturbs the classifier's weights to move the logits: its output must be the model's output."""
    outputs, logits = _linear_outputs(model, inputs)
    own = outputs.get(path, [])
    if len(own) != 1 or not torch.equal(own[0], logits):
        raise ExportError(f"{_head_case(outputs, path, logits)}; PoF needs the logits to be one Linear applied once, last, "
                          f"to the features.\nway out: {_way_out(model, path)}")


def _check(file: str, model: nn.Module, inputs, seed: int, dynamic_batch: bool) -> dict:
    """The archive against the eager model: eval logits on the example and (dynamic batch) on one more example,
    train logits and BatchNorm statistics after one training-mode pass under the same seed."""
    package, _ = _archive_internals()
    evaluation = torch.export.load(file)
    training = package.load_pt2(file).exported_programs["train"]
    bigger = tuple(torch.cat([t, t[:1]]) for t in inputs)
    checks = {}
    with torch.no_grad():
        program = evaluation.module()
        model.eval()
        for x in (inputs, bigger) if dynamic_batch else (inputs,):
            checks[f"eval logits, batch {x[0].shape[0]}"] = _relative_difference(_logits(program, x), _logits(model, x))
        program = training.module()
        model.train()
        torch.manual_seed(seed)
        got = _logits(program, inputs)
        torch.manual_seed(seed)
        checks[f"train logits, batch {inputs[0].shape[0]}"] = _relative_difference(got, _logits(model, inputs))
        loaded = dict(program.named_buffers())
        moved = [_relative_difference(loaded[n].double(), b.double()) for n, b in model.named_buffers() if n in loaded]
        if moved:
            checks["train buffers (BatchNorm statistics, position ids, ...)"] = max(moved)
    return checks


def export(model: nn.Module, example_inputs, classifier: str, file: str, dynamic_batch: bool = True,
           check: bool = True, features=None, pad_id=None) -> dict:
    """Exports `model` (eval and train programs, one set of weights) to the .pt2 `file`. Returns the figures: the
    archive's "weight files" and "weight storages" (equal), "differences" (relative, against eager PyTorch, by check;
    with `check`) and "seconds".

    A model as zoos ship it: an output with `.logits` (Hugging Face) is unwrapped; `pad_id` derives the attention
    mask of token ids in the graph (ids != pad_id; without it every token is attended); `features` says where the
    classifier's input is when the classifier is not one Linear applied last ('pre_logits' for timm's models, or a
    function features(model, x)): see pof_forward."""
    started = time.perf_counter()
    _archive_internals()
    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if not inputs or not all(isinstance(t, torch.Tensor) and t.dim() >= 1 for t in inputs):
        raise ExportError("example_inputs must be a tuple of tensors, each with a batch dimension")
    inputs = _with_batch_of_two(tuple(inputs)) if dynamic_batch else tuple(inputs)
    with pof_forward(model, classifier, features, pad_id):  # checks the classifier
        check_plain_tensors(model)
        figures = _export_checked(model, inputs, classifier, file, dynamic_batch, check)
    figures["seconds"] = time.perf_counter() - started
    return figures


def _export_checked(model: nn.Module, inputs, classifier: str, file: str, dynamic_batch: bool, check: bool) -> dict:
    """The archive of `model` as it computes now, checked against it; its figures."""
    with untouched(model):
        with torch.no_grad():
            _check_applied_last(model, classifier, inputs)
        programs = {name: _export_program(model, inputs, training, dynamic_batch) for name, training in PROGRAMS.items()}
    # Written next to `file` and renamed over it: no half-written archive under the name. The archive's top folder
    # is named after the file, so the temporary file has the same name in its own directory.
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(file))) as directory:
        temporary = os.path.join(directory, os.path.basename(file))
        _write_archive(temporary, programs)
        figures = {"weight files": _weight_files(temporary), "weight storages": _distinct_storages(programs["model"])}
        if figures["weight files"] != figures["weight storages"]:
            raise ExportError(f"the archive has {figures['weight files']} weight files for {figures['weight storages']} "
                              "distinct weight storages (internal error: they are to be written once)")
        if check:
            with untouched(model):
                figures["differences"] = _check(temporary, model, inputs, 0, dynamic_batch)
            worst = max(figures["differences"].values())
            if worst > TOLERANCE:
                raise ExportError(f"the exported programs differ from the eager model by up to {worst:.3g} (relative), above "
                                  f"{TOLERANCE}: {figures['differences']}")
        os.replace(temporary, file)
    return figures


def build_model(expression: str) -> nn.Module:
    """Evaluates the user's expression (evaluate_expression) and checks that it built an nn.Module."""
    model = evaluate_expression(expression, "--model")
    if not isinstance(model, nn.Module):
        raise ExportError(f"--model must build an nn.Module, got {type(model).__name__}")
    return model


def evaluate_expression(expression: str, flag: str):
    """Evaluates the user's expression with the current directory importable, every top-level name in it that is a
    module imported, and `torch` and `nn` (torch.nn) defined."""
    sys.path.insert(0, os.getcwd())
    names = {"torch": torch, "nn": nn}
    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names and not hasattr(builtins, node.id):
            try:
                names[node.id] = importlib.import_module(node.id)
            except ModuleNotFoundError as error:
                if error.name != node.id:  # the module exists but one of its own imports is missing
                    raise
    try:
        return eval(compile(tree, flag, "eval"), names)  # the user's own expression, run as they wrote it
    except NameError as error:
        raise ExportError(f"{flag}: {error} (neither a module importable from {os.getcwd()} nor defined)") from error


def example_inputs(shape, dtype: str, vocab, batch: int = 2):
    """A random batch of the shape and dtype the model takes; int64 ids are drawn below `vocab`."""
    if dtype == "int64":
        if vocab is None:
            raise ExportError("--input-dtype int64 needs --vocab N: the sample token ids are drawn from 0..N-1")
        return (torch.randint(vocab, (batch, *shape)),)
    return (torch.randn(batch, *shape),)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a Python expression that builds the model, e.g. 'mymodels.Net(10)' "
                        "or 'nn.Sequential(nn.Flatten(), nn.Linear(784, 10))'; the modules it names are imported")
    parser.add_argument("--input-shape", required=True, help="one example's shape, e.g. 3,32,32 (or 12 for 12 token ids)")
    parser.add_argument("--input-dtype", choices=["float32", "int64"], default="float32", help="float32 (images, tables) or "
                        "int64 (token ids)")
    parser.add_argument("--vocab", type=int, help="with --input-dtype int64: the sample ids are drawn from 0..vocab-1")
    parser.add_argument("--seed", type=int, help="torch.manual_seed(SEED) before the model is built: its initial weights "
                        "(without --state-dict) are then the same on every run")
    parser.add_argument("--state-dict", help="a torch.save state_dict to load into the model first (strict)")
    parser.add_argument("--classifier", required=True, help="the dotted path of the model's final nn.Linear, e.g. fc or head.fc")
    parser.add_argument("--features", help="where the classifier's input is, when the classifier is not one Linear "
                        "applied last: 'pre-logits' (timm's forward_head(x, pre_logits=True)) or a Python function of the "
                        "model and its input, e.g. 'lambda model, x: model.transformer(x).last_hidden_state[:, -1]'")
    parser.add_argument("--pad-id", type=int, help="token ids: the padding id; the model's attention_mask is computed in "
                        "the graph as ids != PAD_ID (without it every token is attended)")
    parser.add_argument("--static-batch", action="store_true", help="export with the example's batch size fixed")
    parser.add_argument("--out", required=True, help="the .pt2 archive to write")
    args = parser.parse_args()
    try:
        shape = [int(d) for d in args.input_shape.split(",")]
    except ValueError:
        parser.error(f"--input-shape must be comma-separated integers, got '{args.input_shape}'")
    try:
        if args.seed is not None:
            torch.manual_seed(args.seed)
        model = build_model(args.model)
        if args.state_dict:
            model.load_state_dict(torch.load(args.state_dict, map_location="cpu", weights_only=True), strict=True)
        features = None if args.features is None else "pre_logits" if args.features == "pre-logits" else \
            evaluate_expression(args.features, "--features")
        figures = export(model, example_inputs(shape, args.input_dtype, args.vocab), args.classifier, args.out,
                         dynamic_batch=not args.static_batch, features=features, pad_id=args.pad_id)
    except ExportError as error:
        sys.exit(f"export_program: {error}")
    print(f"wrote {args.out}: programs 'model' (evaluation) and 'train' (training), {figures['weight files']} weight files, "
          f"{'static' if args.static_batch else 'dynamic'} batch, {figures['seconds']:.1f} s")
    for name, value in figures.get("differences", {}).items():
        print(f"  {name}: max relative difference to eager PyTorch {value:.3g}")
    model_flags = f"--model export:{args.out} --classifier {args.classifier}"
    print("next:")
    if args.state_dict:
        print(f"  npx pof post-train --from {args.state_dict} {model_flags} --dataset cifar10 --data-dir DIR --out runs/pof")
    else:
        print(f"  npx pof train {model_flags} --dataset cifar10 --data-dir DIR --out runs/sgd")


if __name__ == "__main__":
    main()
