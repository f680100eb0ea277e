// A seeded synthetic classification problem for the paper's toy studies (5-layer MLP, Fig. 1-2).
//
// Distribution: each of `numClasses` classes is a mixture of `clustersPerClass` Gaussian blobs.
// Blob centres are drawn once from N(0, spread² I) in the first `latentDim` coordinates of R^dim;
// a point is its blob's centre plus N(0, I) noise in all `dim` coordinates; then a share
// `labelNoise` of the labels is replaced by a uniformly drawn class. Blobs of different classes
// overlap, so the Bayes error is above zero, and the training set is small (512 by default) next to
// the test set (4096): a network can fit the training set while a generalisation gap remains.
import { checkKeys, integer, number } from '../options';
import type { DatasetSplits, ImageSet } from './types';

export interface ToyOptions {
  seed?: number;
  numClasses?: number;
  dim?: number;
  latentDim?: number;
  clustersPerClass?: number;
  spread?: number;
  labelNoise?: number;
  trainSize?: number;
  testSize?: number;
}

/** mulberry32: small, fast and good enough for data generation; seeded, so reproducible. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function toy(options: ToyOptions = {}): DatasetSplits {
  const where = 'datasets.toy';
  checkKeys(where, options, ['seed', 'numClasses', 'dim', 'latentDim', 'clustersPerClass', 'spread', 'labelNoise', 'trainSize', 'testSize']);
  const seed = integer(where, 'seed', options.seed ?? 0, 0);
  const numClasses = integer(where, 'numClasses', options.numClasses ?? 4, 2);
  const dim = integer(where, 'dim', options.dim ?? 16, 1);
  const latentDim = Math.min(dim, integer(where, 'latentDim', options.latentDim ?? 8, 1));
  const clusters = integer(where, 'clustersPerClass', options.clustersPerClass ?? 3, 1);
  const spread = number(where, 'spread', options.spread ?? 1.5, { above: 0 });
  const labelNoise = number(where, 'labelNoise', options.labelNoise ?? 0.05, { min: 0, max: 1 });
  const trainSize = integer(where, 'trainSize', options.trainSize ?? 512, 1);
  const testSize = integer(where, 'testSize', options.testSize ?? 4096, 1);

  const u = uniform(seed);
  const normal = gaussian(u);
  const centres = Float64Array.from({ length: numClasses * clusters * dim }, (_, i) => (i % dim < latentDim ? spread * normal() : 0));
  const sample = (n: number, name: string): ImageSet => {
    const images = new Float32Array(n * dim);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i += 1) {
      const c = Math.floor(u() * numClasses);
      const blob = c * clusters + Math.floor(u() * clusters);
      for (let j = 0; j < dim; j += 1) images[i * dim + j] = centres[blob * dim + j] + normal();
      labels[i] = u() < labelNoise ? Math.floor(u() * numClasses) : c;
    }
    return { name, images, labels, shape: [n, dim], numClasses };
  };
  return { train: sample(trainSize, `toy-${seed}/train`), test: sample(testSize, `toy-${seed}/test`) };
}
