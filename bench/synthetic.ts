// The benchmarks' data: random CIFAR-shaped images (the speed of a step does not depend on the pixels).
import { datasets } from '../lib';
import type { ImageSet } from '../lib';

export const NUM_CLASSES = 10;

/** Random 32×32×3 uint8 images and labels: `steps` batches, resident on the device once used. */
export function syntheticImages(examples: number, seed: number): ImageSet {
  let state = seed * 2654435761 + 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const images = new Uint8Array(examples * 3 * 32 * 32);
  for (let i = 0; i < images.length; i += 1) images[i] = next() >>> 24;
  const labels = new Int32Array(examples);
  for (let i = 0; i < examples; i += 1) labels[i] = next() % NUM_CLASSES;
  return datasets.fromArrays({
    images, labels, shape: [examples, 3, 32, 32], numClasses: NUM_CLASSES, name: 'synthetic',
    normalization: { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] },
  });
}

