// A native Dataset for tests that build one directly: the addon takes every field, so the plain ones
// (no augmentation, no normalisation, the CPU, the kind fromArrays would default to) are filled in here.
import { native } from '../../lib/addon';
import type { NativeDataset, NativeDatasetOptions } from '../../lib/native';

type Plain = 'kind' | 'mean' | 'std' | 'cropPadding' | 'flip' | 'cutout' | 'device';

export function nativeDataset(options: Omit<NativeDatasetOptions, Plain> & Partial<Pick<NativeDatasetOptions, Plain>>): NativeDataset {
  const { inputs, shape } = options;
  const kind = inputs instanceof Int32Array ? 'tokens' : inputs instanceof Uint8Array && shape.length === 4 ? 'pixels' : 'values';
  return new native.Dataset({ kind, mean: [0], std: [1], cropPadding: 0, flip: false, cutout: 0, device: 'cpu', ...options });
}
