// The standard per-dataset normalisation and the paper's training augmentation, in one place.
//
// Paper, "Additional details": "All results used basic data augmentations (horizontal flip, padding
// by four pixels, and random crop), and cutout with 16 × 16 pixels was additionally used for the
// results of CIFAR-{10, 100}." We follow that literally, SVHN included (flipping house numbers is
// questionable, but it is the protocol the reported numbers come from). MNIST is not in the paper:
// it gets a 2-pixel random shift and no flip, since a mirrored digit is not the same digit.
import type { Augmentation, Normalization } from './types';

export interface DatasetPreset {
  normalization: Normalization;
  augmentation: Augmentation;
}

export const PRESETS = {
  cifar10: {
    normalization: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
    augmentation: { cropPadding: 4, flip: true, cutout: 16 },
  },
  cifar100: {
    normalization: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
    augmentation: { cropPadding: 4, flip: true, cutout: 16 },
  },
  svhn: {
    normalization: { mean: [0.4377, 0.4438, 0.4728], std: [0.198, 0.201, 0.197] },
    augmentation: { cropPadding: 4, flip: true, cutout: 0 },
  },
  fashionMnist: {
    normalization: { mean: [0.286], std: [0.353] },
    augmentation: { cropPadding: 4, flip: true, cutout: 0 },
  },
  mnist: {
    normalization: { mean: [0.1307], std: [0.3081] },
    augmentation: { cropPadding: 2, flip: false, cutout: 0 },
  },
} as const satisfies Record<string, DatasetPreset>;

export type PresetName = keyof typeof PRESETS;

/** Fresh copies, so that a caller editing one split's settings does not change another's. */
export function normalizationOf(dataset: PresetName): Normalization {
  const { mean, std } = PRESETS[dataset].normalization;
  return { mean: [...mean], std: [...std] };
}

export function augmentationOf(dataset: PresetName): Augmentation {
  return { ...PRESETS[dataset].augmentation };
}
