// Model descriptions: what to build. The trainer builds them on its device with its seed.
import { checkKeys, integer, integerList, OptionError } from './options';
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
  if ((depth - 4) % 6 !== 0) throw new OptionError(`${where}: depth must be 6n+4 (10, 16, 22, 28, ...), got ${depth}`);
  return {
    kind: 'wideResNet',
    depth,
    widen: integer(where, 'widen', options.widen ?? 10, 1),
    numClasses: integer(where, 'numClasses', options.numClasses, 2),
    inputChannels: integer(where, 'inputChannels', options.inputChannels ?? 3, 1),
  };
}

/**
 * A model by name for the CLI and configs, sized for the data: 'wrn-28-10' -> wideResNet({ depth: 28, widen: 10 }),
 * 'mlp-64-64' -> mlp({ hidden: [64, 64] }) over the flattened input.
 */
export function parseModelName(name: string, data: { numClasses: number; shape: number[] }): ModelSpec {
  const wrn = /^wrn-(\d+)-(\d+)$/.exec(name);
  if (wrn) {
    if (data.shape.length !== 4) throw new OptionError(`model '${name}' needs images [N, C, H, W]; the data has shape [${data.shape.join(', ')}]`);
    return wideResNet({ depth: Number(wrn[1]), widen: Number(wrn[2]), numClasses: data.numClasses, inputChannels: data.shape[1] });
  }
  if (/^mlp(-\d+)+$/.test(name)) {
    const hidden = name.split('-').slice(1).map(Number);
    return mlp({ inputDim: data.shape.slice(1).reduce((a, b) => a * b, 1), hidden, numClasses: data.numClasses });
  }
  throw new OptionError(`model '${name}' is unknown; expected wrn-<depth>-<widen> (e.g. wrn-28-10, wrn-16-4) or mlp-<width>-<width>... (e.g. mlp-64-64)`);
}
