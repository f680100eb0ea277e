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
  /**
   * For large images: torchvision's RandomResizedCrop instead of the padded crop (cropPadding 0), then the flip
   * and cutout. Evaluation batches of the set are centre-cropped to `size`. See datasets.imagenetAugmentation.
   */
  resizedCrop?: ResizedCrop;
}

/** A random box of `scale` times the image's area and aspect ratio (width / height) in `ratio`, resized to size x size. */
export interface ResizedCrop {
  size: number;
  /** Default [0.08, 1] (torchvision's). */
  scale?: [number, number];
  /** Default [3/4, 4/3] (torchvision's). */
  ratio?: [number, number];
}

/**
 * What the inputs are, which decides how they reach the model: 'pixels' uint8 [N, C, H, W], normalised as
 * (x / 255 - mean) / std and augmentable; 'values' taken as float32 as they are (a Uint8Array's 0..255 too);
 * 'tokens' ids >= 0 given to the model as int64 unchanged. Nothing but pixels is divided by 255.
 */
export type DataKind = 'pixels' | 'values' | 'tokens';

export const DATA_KINDS: readonly DataKind[] = ['pixels', 'values', 'tokens'];

/** Inputs in memory: one contiguous typed array. */
export type ArrayInputs = Uint8Array | Float32Array | Int32Array;

/**
 * Inputs left on disk: a C-order array in a file (a prepared store's inputs.npy, or a .npy), which the native
 * side reads a batch at a time (a worker thread reading the next batch while one trains), so that a split
 * larger than memory trains with memory bounded by its batches.
 */
export interface StoredInputs {
  /** The file (absolute path). */
  file: string;
  /** The byte offset of the first value (the .npy header's length). */
  offset: number;
  /** As NumPy names it: uint8 for pixels; uint8 or float32 for values; uint8, int32 or int64 for tokens. */
  dtype: (typeof STORED_DTYPES)[number];
}

export const STORED_DTYPES = ['uint8', 'float32', 'int32', 'int64'] as const;

/** One split of a dataset: its inputs (in memory, or stored on disk) plus labels. */
export interface ImageSet<Inputs extends ArrayInputs | StoredInputs = ArrayInputs | StoredInputs> {
  /** e.g. 'cifar10/train' */
  name: string;
  /**
   * What `images` holds. When absent: a Uint8Array [N, C, H, W] is pixels, a Float32Array values, an
   * Int32Array tokens (a Uint8Array of another rank must say).
   */
  kind?: DataKind;
  /** N*C*H*W uint8 pixels in NCHW order, float32 (or uint8) values, or Int32Array (or uint8) token ids, per `kind`. */
  images: Inputs;
  /** One label per example, each in 0..numClasses-1. */
  labels: Uint8Array | Int32Array;
  /** [N, C, H, W] for pixels; [N, ...] (at least 2 dimensions) for values and tokens. */
  shape: number[];
  numClasses: number;
  /** For pixels: how to normalise. Default: mean 0, std 1 (pixels / 255). */
  normalization?: Normalization;
  /** For training splits of pixels: the paper's augmentation for this dataset. */
  augmentation?: Augmentation;
  /** For pixels: evaluation batches are the centre centerCrop x centerCrop window (torchvision's CenterCrop). */
  centerCrop?: number;
  /** The class names by label, where the data says them (image folders, prepared stores): per-class results name them. */
  classes?: string[];
}

/** A split held in memory (what the readers of arrays and files give). */
export type ArraySet = ImageSet<ArrayInputs>;
/** A split whose inputs stay on disk (datasets.prepared). */
export type StoredSet = ImageSet<StoredInputs>;

export function isStored(set: ImageSet): set is StoredSet {
  return !ArrayBuffer.isView(set.images);
}

export interface DatasetSplits {
  train: ArraySet;
  test: ArraySet;
}
