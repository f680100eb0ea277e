// A native Dataset for tests that build one directly: the addon takes every field, so the plain ones
// (no augmentation, no normalisation, the CPU) are filled in here.
import { native } from '../../lib/addon';
import type { NativeDataset, NativeDatasetOptions } from '../../lib/native';

type Plain = 'mean' | 'std' | 'cropPadding' | 'flip' | 'cutout' | 'device';

export function nativeDataset(options: Omit<NativeDatasetOptions, Plain> & Partial<Pick<NativeDatasetOptions, Plain>>): NativeDataset {
  return new native.Dataset({ mean: [0], std: [1], cropPadding: 0, flip: false, cutout: 0, device: 'cpu', ...options });
}
