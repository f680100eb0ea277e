// The one in-memory form every dataset takes before it is handed to the native side (once).

/** Per-channel normalisation on the 0..1 scale: x = (pixel / 255 - mean[c]) / std[c]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Training-time augmentation, applied on the device (evaluation applies normalisation only). */
export interface Augmentation {
  /** Random crop of the original size after zero-padding this many pixels on each side (0: none). */
  cropPadding: number;
  /** Random horizontal flip with probability 1/2. */
  flip: boolean;
  /** Side of the square cutout window, zeroed after normalisation (0: none). */
  cutout: number;
}

/** One split of a dataset, as one contiguous buffer plus labels. */
export interface ImageSet {
  /** e.g. 'cifar10/train' */
  name: string;
  /** N*C*H*W uint8 pixels (0..255) in NCHW order, or float32 values for [N, D] / [N, C, H, W] data. */
  images: Uint8Array | Float32Array;
  /** One label per example, each in 0..numClasses-1. */
  labels: Uint8Array | Int32Array;
  /** [N, C, H, W] for images, [N, D] for feature vectors. */
  shape: number[];
  numClasses: number;
  /** For uint8 images: how to normalise. Default: mean 0, std 1 (pixels / 255). */
  normalization?: Normalization;
  /** For training splits: the paper's augmentation for this dataset. */
  augmentation?: Augmentation;
}

export interface DatasetSplits {
  train: ImageSet;
  test: ImageSet;
}
