// Model descriptions: what to build. The trainer builds them on its device with its seed.
import * as path from 'path';
import { pt2ArchiveFile, pt2Refusal } from './checkpoint/pt2-archive';
import { CheckpointError } from './errors';
import { type Cropped, exampleShape } from './data/resized-crop';
import { allowedOperators, checkAllowOperators } from './exported-operators';
import type { NativeModelConfig } from './native';
import { assertNotSpecialFile } from './file-access';
import { checkKeys, integer, integerList, OptionError, show } from './options';

/**
 * What to build, by kind: a new kind of network is its spec here (with its factory below and its case in
 * validateModelSpec), one entry in the native factory (native/models/model_wrap.cc) and its Network.
 */
export type ModelSpec =
  | { kind: 'mlp'; inputDim: number; hidden: number[]; numClasses: number }
  | { kind: 'wideResNet'; depth: number; widen: number; numClasses: number; inputChannels: number }
  | { kind: 'torchScript'; file: string; features: string; classifier: string; inputShape: number[] }
  | { kind: 'exported'; file: string; classifier: string; allowOperators?: string[] };

/** What the native factory builds from a spec: an exported model's also carries the operators its graphs may use. */
export function nativeModelConfig(spec: ModelSpec): NativeModelConfig {
  return spec.kind === 'exported' ? { ...spec, operators: allowedOperators(spec.allowOperators) } : spec;
}

// The native constructors' bounds (native/models/mlp.h, wide_resnet.h): sizes beyond them are typos.
const MAX_WIDTH = 1 << 24;

function atMost(where: string, name: string, value: number, max: number): number {
  if (value > max) throw new OptionError(`${where}: ${name} must be at most ${max}, got ${value}`);
  return value;
}

/** MLP: ReLU hidden layers form the feature extractor, the last Linear is the classifier. */
export function mlp(options: { inputDim: number; hidden: number[]; numClasses: number }): ModelSpec {
  const where = 'models.mlp';
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  checkKeys(where, options, ['inputDim', 'hidden', 'numClasses']);
  return {
    kind: 'mlp',
    inputDim: atMost(where, 'inputDim', integer(where, 'inputDim', options.inputDim, 1), MAX_WIDTH),
    hidden: integerList(where, 'hidden', options.hidden, 1).map((h, i) => atMost(where, `hidden[${i}]`, h, MAX_WIDTH)),
    numClasses: atMost(where, 'numClasses', integer(where, 'numClasses', options.numClasses, 2), MAX_WIDTH),
  };
}

/** WideResNet-depth-widen (default WRN-28-10) with the PoF authors' layout and initialisation. */
export function wideResNet(options: { depth?: number; widen?: number; numClasses: number; inputChannels?: number }): ModelSpec {
  const where = 'models.wideResNet';
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  checkKeys(where, options, ['depth', 'widen', 'numClasses', 'inputChannels']);
  const depth = atMost(where, 'depth', integer(where, 'depth', options.depth ?? 28, 10), 1000);
  if ((depth - 4) % 6 !== 0) throw new OptionError(`${where}: depth must be 6n+4 (10, 16, 22, 28, ...), got ${depth}`);
  return {
    kind: 'wideResNet',
    depth,
    widen: atMost(where, 'widen', integer(where, 'widen', options.widen ?? 10, 1), 64),
    numClasses: atMost(where, 'numClasses', integer(where, 'numClasses', options.numClasses, 2), MAX_WIDTH),
    inputChannels: atMost(where, 'inputChannels', integer(where, 'inputChannels', options.inputChannels ?? 3, 1), 4096),
  };
}

/**
 * A model by name for the CLI and configs, sized for the data: 'wrn-28-10' -> wideResNet({ depth: 28, widen: 10 }),
 * 'mlp-64-64' -> mlp({ hidden: [64, 64] }) over the flattened input.
 */
export function parseModelName(name: string, data: { numClasses: number } & Cropped,
  torchScriptNames: { features?: string; classifier?: string; allowOperators?: string[] } = {}): ModelSpec {
  if (typeof name !== 'string') throw new OptionError(`models.parseModelName: name must be a string such as 'wrn-28-10', got ${show(name)}`);
  if (typeof data !== 'object' || data === null || !Array.isArray(data.shape) || typeof data.numClasses !== 'number') {
    throw new OptionError(`models.parseModelName: data must be an ImageSet (its shape and numClasses size the model), got ${show(data)}`);
  }
  // A file named relative to the working directory is recorded absolute: the run's config and checkpoints
  // then name the same file from anywhere (and a command given it either way sees the same model).
  const absolute = (file: string) => (file === '' ? file : path.resolve(file));
  if (name.startsWith('export:')) {
    // 'export:FILE': the user's own torch.export program; its input shape is the program's.
    return exported({ file: absolute(name.slice('export:'.length)), classifier: torchScriptNames.classifier ?? 'classifier',
      ...(torchScriptNames.allowOperators ? { allowOperators: torchScriptNames.allowOperators } : {}) });
  }
  if (name.startsWith('torchscript:')) {
    // 'torchscript:FILE': the user's own network, sized by the data (one example's shape).
    const { features, classifier } = torchScriptNames;
    return torchScript({ file: absolute(name.slice('torchscript:'.length)), features, classifier, inputShape: exampleShape(data) });
  }
  const wrn = /^wrn-(\d+)-(\d+)$/.exec(name);
  if (wrn) {
    if (data.shape.length !== 4) throw new OptionError(`model '${name}' needs images [N, C, H, W]; the data has shape [${data.shape.join(', ')}]`);
    return wideResNet({ depth: Number(wrn[1]), widen: Number(wrn[2]), numClasses: data.numClasses, inputChannels: data.shape[1] });
  }
  if (/^mlp(-\d+)+$/.test(name)) {
    const hidden = name.split('-').slice(1).map(Number);
    return mlp({ inputDim: exampleShape(data).reduce((a, b) => a * b, 1), hidden, numClasses: data.numClasses });
  }
  throw new OptionError(`model '${name}' is unknown; expected wrn-<depth>-<widen> (e.g. wrn-28-10, wrn-16-4) mlp-<width>-<width>... (e.g. mlp-64-64) export:FILE (your own network exported with python/export_program.py) or torchscript:FILE (legacy: python/export_torchscript.py)`);
}

/**
 * Your own network, saved from PyTorch with torch.jit.save (python/export_torchscript.py makes one from
 * any nn.Module): `features` names a method returning [N, D] features, `classifier` the dotted path of
 * its final nn.Linear (with a bias), `inputShape` one example's shape (e.g. [3, 32, 32]). Loading checks
 * that forward(x) is classifier(features(x)) on a probe batch. The weights are the file's.
 */
export function torchScript(options: { file: string; features?: string; classifier?: string; inputShape: number[] }): ModelSpec {
  const where = 'models.torchScript';
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  checkKeys(where, options, ['file', 'features', 'classifier', 'inputShape']);
  const name = (key: 'file' | 'features' | 'classifier', fallback?: string) => {
    const v = options[key] ?? fallback;
    if (typeof v !== 'string' || v === '') throw new OptionError(`${where}: ${key} must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const inputShape = integerList(where, 'inputShape', options.inputShape, 1);
  if (inputShape.length === 0 || inputShape.length > 8) {
    throw new OptionError(`${where}: inputShape must be one example's shape, e.g. [3, 32, 32]; got ${JSON.stringify(options.inputShape)}`);
  }
  const file = name('file');
  // LibTorch's loader would call a .pt2 a corrupt checkpoint: say what it is, and what takes it.
  const pt2 = assertNotSpecialFile(where, file) ? pt2ArchiveFile(file) : undefined;
  if (pt2) throw new CheckpointError(`${where}: ${pt2Refusal(file, 'a TorchScript module', pt2)}`);
  return { kind: 'torchScript', file, features: name('features', 'features'), classifier: name('classifier', 'classifier'), inputShape };
}

/**
 * Your own network, exported from PyTorch with torch.export by python/export_program.py: one .pt2 with its
 * training-mode and evaluation-mode graphs and its weights, under the model's own state-dict names.
 * `classifier` is the dotted path of its final nn.Linear (e.g. 'fc', 'head.fc'; with or without a bias);
 * the features are what that Linear receives. The input's shape and dtype are the program's own, and the
 * weights are the archive's. Loading runs the program on the archive's sample inputs. The graphs may use the
 * operators of lib/exported-operators.json (computations on tensors) and `allowOperators`, pure computations the
 * list lacks ('aten.cosh.default'); any other is refused before a node runs.
 */
export function exported(options: { file: string; classifier: string; allowOperators?: string[] }): ModelSpec {
  const where = 'models.exported';
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  checkKeys(where, options, ['file', 'classifier', 'allowOperators']);
  for (const key of ['file', 'classifier'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      throw new OptionError(`${where}: ${key} must be a non-empty string${key === 'classifier' ? ' (the dotted path of the final nn.Linear, e.g. \'fc\')' : ''}, got ${show(options[key])}`);
    }
  }
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(options.classifier)) {
    throw new OptionError(`${where}: classifier must be a dotted module path such as 'fc' or 'head.fc', got ${show(options.classifier)}`);
  }
  const allow = options.allowOperators === undefined ? [] : checkAllowOperators(where, options.allowOperators);
  assertNotSpecialFile(where, options.file);
  return { kind: 'exported', file: options.file, classifier: options.classifier, ...(allow.length ? { allowOperators: allow } : {}) };
}

/**
 * A spec checked as models.mlp / models.wideResNet / models.torchScript check theirs: a hand-built object with a negative or
 * absurd size is an OptionError here, not a LibTorch error later.
 */
export function validateModelSpec(where: string, spec: unknown): ModelSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new OptionError(`${where}: model must come from models.mlp(...), models.wideResNet(...) or models.exported(...), got ${JSON.stringify(spec)}`);
  }
  const { kind, ...rest } = spec as { kind?: unknown };
  try {
    if (kind === 'mlp') return mlp(rest as Parameters<typeof mlp>[0]);
    if (kind === 'wideResNet') return wideResNet(rest as Parameters<typeof wideResNet>[0]);
    if (kind === 'torchScript') return torchScript(rest as Parameters<typeof torchScript>[0]);
    if (kind === 'exported') return exported(rest as Parameters<typeof exported>[0]);
  } catch (e) {
    if (e instanceof OptionError) throw new OptionError(`${where}: model: ${e.message}`);
    throw e;
  }
  throw new OptionError(`${where}: model kind ${JSON.stringify(kind)} is unknown; expected 'mlp', 'wideResNet', 'exported' or 'torchScript' (use models.mlp, models.wideResNet, models.exported or models.torchScript)`);
}
