// The prepared store's format, written by datasets.prepare and read by datasets.prepared: a directory of
//   manifest.json  what it holds (PreparedManifest)
//   inputs.npy     uint8 [N, C, H, W], C order
//   labels.npy     int64 [N]
// NumPy reads it as it is (np.load(..., mmap_mode='r')).
import type { SkippedImage } from './image-folder';

export const STORE_MANIFEST = 'manifest.json';
export const STORE_INPUTS = 'inputs.npy';
export const STORE_LABELS = 'labels.npy';

export interface PreparedManifest {
  format: 'pof-prepared';
  version: 1;
  kind: 'pixels';
  dtype: 'uint8';
  examples: number;
  /** [C, H, W] */
  shape: [number, number, number];
  numClasses: number;
  classes: string[];
  files: string[];
  /** The absolute source folder. */
  source: string;
  /** Per channel, on the 0..1 scale, over every stored pixel. */
  mean: number[];
  std: number[];
  skipped: SkippedImage[];
  /** ISO time. */
  created: string;
}
