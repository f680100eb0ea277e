// Small deterministic data sets for tests (independent of the library's own generators).
import { datasets, DeviceName, ArraySet } from '../../lib';

export const testDevice = (process.env.POF_TEST_DEVICE ?? 'cpu') as DeviceName;

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian-ish blobs: class c has mean `separation` on coordinate c, uniform noise of width `noise`. */
export function blobs(n: number, dim: number, classes: number, seed: number, separation = 2, noise = 1): ArraySet {
  const r = rng(seed);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i += 1) {
    const c = Math.floor(r() * classes);
    y[i] = c;
    for (let j = 0; j < dim; j += 1) x[i * dim + j] = (j === c ? separation : 0) + noise * (r() + r() + r() - 1.5);
  }
  return datasets.fromArrays({ images: x, labels: y, shape: [n, dim], numClasses: classes, name: `blobs-${seed}` });
}

/** Tiny uint8 images with class-dependent brightness, with the paper's augmentation. */
export function tinyImages(n: number, seed: number, size = 8, channels = 3): ArraySet {
  const r = rng(seed);
  const images = new Uint8Array(n * channels * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i += 1) {
    labels[i] = i % 4;
    for (let k = 0; k < channels * size * size; k += 1) images[i * channels * size * size + k] = Math.floor(r() * 128 + labels[i] * 32);
  }
  return datasets.fromArrays({
    images, labels, shape: [n, channels, size, size], numClasses: 4, name: `tiny-${seed}`,
    normalization: { mean: Array(channels).fill(0.5), std: Array(channels).fill(0.25) },
    augmentation: { cropPadding: 2, flip: true, cutout: 4 },
  });
}

export function range(n: number, start = 0): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => start + i);
}
