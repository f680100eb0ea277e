// Model descriptions: what to build. The trainer builds them on its device with its seed.
import { checkKeys, integer, integerList } from './options';
import type { NativeModelConfig } from './native';

export type ModelSpec = NativeModelConfig;

/** MLP: ReLU hidden layers form the feature extractor, the last Linear is the classifier. */
export function mlp(options: { inputDim: number; hidden: number[]; numClasses: number }): ModelSpec {
  const where = 'models.mlp';
  checkKeys(where, options, ['inputDim', 'hidden', 'numClasses']);
  return {
    kind: 'mlp',
    inputDim: integer(where, 'inputDim', options.inputDim, 1),
    hidden: integerList(where, 'hidden', options.hidden, 1),
    numClasses: integer(where, 'numClasses', options.numClasses, 2),
  };
}

/** WideResNet-depth-widen (default WRN-28-10) with the PoF authors' layout and initialisation. */
export function wideResNet(options: { depth?: number; widen?: number; numClasses: number; inputChannels?: number }): ModelSpec {
  const where = 'models.wideResNet';
  checkKeys(where, options, ['depth', 'widen', 'numClasses', 'inputChannels']);
  const depth = integer(where, 'depth', options.depth ?? 28, 10);
  if ((depth - 4) % 6 !== 0) throw new Error(`${where}: depth must be 6n+4 (10, 16, 22, 28, ...), got ${depth}`);
  return {
    kind: 'wideResNet',
    depth,
    widen: integer(where, 'widen', options.widen ?? 10, 1),
    numClasses: integer(where, 'numClasses', options.numClasses, 2),
    inputChannels: integer(where, 'inputChannels', options.inputChannels ?? 3, 1),
  };
}

/** 'wrn-28-10' -> wideResNet({ depth: 28, widen: 10 }); for the CLI and configs. */
export function parseModelName(name: string, numClasses: number, inputChannels: number): ModelSpec {
  const m = /^wrn-(\d+)-(\d+)$/.exec(name);
  if (!m) throw new Error(`model '${name}' is unknown; expected wrn-<depth>-<widen>, e.g. wrn-28-10 or wrn-16-4`);
  return wideResNet({ depth: Number(m[1]), widen: Number(m[2]), numClasses, inputChannels });
}
