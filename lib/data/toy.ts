// A seeded synthetic classification problem for the paper's toy studies (a 5-layer MLP, Fig. 1-2).
import { checkKeys, integer, number, OptionError } from '../options';
import { Random } from './random';
import type { DatasetSplits, ImageSet } from './types';

export interface ToyOptions {
  /** Same seed, same data (any non-negative safe integer). Default 0. */
  seed?: number;
  /** Default 4. */
  numClasses?: number;
  /** Dimension D of the feature vectors. Default 16. */
  dim?: number;
  /** Dimension of the hidden subspace that carries the class structure (≤ dim). Default 6. */
  latentDim?: number;
  /** Gaussian blobs per class. Default 3. */
  clustersPerClass?: number;
  /** Standard deviation of the blob centres in the subspace; larger separates classes more. Default 2. */
  spread?: number;
  /** Standard deviation of the isotropic noise added in all `dim` coordinates. Default 0.5. */
  noise?: number;
  /** Share of training labels replaced by a uniformly drawn class (the test split stays clean). Default 0. */
  labelNoise?: number;
  /** Default 512: small, so that a network fits it while a generalisation gap remains. */
  trainSize?: number;
  /** Default 4096. */
  testSize?: number;
}

// Independent random streams per purpose: the test split does not change when trainSize does.
const PARAMETER_STREAM = 0;
const TRAIN_STREAM = 1;
const TEST_STREAM = 2;

/** `rows` × `cols` matrix (row-major) with orthonormal columns: Gram–Schmidt on Gaussian columns. */
function orthonormalColumns(rows: number, cols: number, random: Random): Float64Array {
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j += 1) {
    for (;;) {
      for (let i = 0; i < rows; i += 1) q[i * cols + j] = random.normal();
      for (let p = 0; p < j; p += 1) {
        let dot = 0;
        for (let i = 0; i < rows; i += 1) dot += q[i * cols + j] * q[i * cols + p];
        for (let i = 0; i < rows; i += 1) q[i * cols + j] -= dot * q[i * cols + p];
      }
      let norm = 0;
      for (let i = 0; i < rows; i += 1) norm += q[i * cols + j] ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-6) {
        for (let i = 0; i < rows; i += 1) q[i * cols + j] /= norm;
        break;
      }
      // A draw (almost) inside the span of the previous columns: draw again.
    }
  }
  return q;
}

/**
 * A seeded synthetic classification problem: feature vectors [N, dim] float32, `numClasses` classes.
 *
 * Distribution. The class structure lives in a random `latentDim`-dimensional subspace of R^dim
 * (a random orthonormal basis Q, so no single coordinate is informative on its own). Each class is a
 * mixture of `clustersPerClass` unit-variance Gaussian blobs whose centres μ are drawn once from
 * N(0, spread² I) in the subspace. An example of class c: pick one of c's blobs uniformly, draw
 * z = μ + N(0, I) in the subspace, and return x = Q z + noise · N(0, I_dim). Blobs of different
 * classes overlap, so the task is learnable but not separable: with the defaults the Bayes-optimal
 * accuracy is about 90% (87–97% depending on the seed; estimated by Monte Carlo with the true
 * densities). Classes are balanced: example i has class i mod numClasses.
 *
 * Splits. The training split is small (512 by default) next to the test split (4096), so a 5-layer
 * MLP fits the training set while a generalisation gap remains. With `labelNoise` > 0, that share of
 * the training labels is replaced by a uniformly drawn class (possibly the same one); the test
 * labels are never corrupted.
 *
 * Reproducibility. The same options give bit-identical data on every run and machine; the parameters
 * (Q and the centres), the training split and the test split come from independent streams of one
 * seeded PRNG, so changing trainSize does not change the test split.
 */
export function toy(options: ToyOptions = {}): DatasetSplits {
  const where = 'datasets.toy';
  checkKeys(where, options, ['seed', 'numClasses', 'dim', 'latentDim', 'clustersPerClass', 'spread', 'noise', 'labelNoise', 'trainSize', 'testSize']);
  const seed = integer(where, 'seed', options.seed ?? 0, 0);
  const numClasses = integer(where, 'numClasses', options.numClasses ?? 4, 2);
  const dim = integer(where, 'dim', options.dim ?? 16, 1);
  const latentDim = integer(where, 'latentDim', options.latentDim ?? Math.min(6, dim), 1);
  if (latentDim > dim) throw new OptionError(`${where}: latentDim must be <= dim (${dim}), got ${latentDim}`);
  const clusters = integer(where, 'clustersPerClass', options.clustersPerClass ?? 3, 1);
  const spread = number(where, 'spread', options.spread ?? 2, { above: 0 });
  const noise = number(where, 'noise', options.noise ?? 0.5, { min: 0 });
  const labelNoise = number(where, 'labelNoise', options.labelNoise ?? 0, { min: 0, max: 1 });
  const trainSize = integer(where, 'trainSize', options.trainSize ?? 512, 1);
  const testSize = integer(where, 'testSize', options.testSize ?? 4096, 1);

  const parameters = new Random(seed, PARAMETER_STREAM);
  const basis = orthonormalColumns(dim, latentDim, parameters);
  const centres = new Float64Array(numClasses * clusters * latentDim);
  for (let i = 0; i < centres.length; i += 1) centres[i] = spread * parameters.normal();

  const sample = (n: number, random: Random, split: string, corruptShare: number): ImageSet => {
    const images = new Float32Array(n * dim);
    const labels = new Int32Array(n);
    const z = new Float64Array(latentDim);
    for (let i = 0; i < n; i += 1) {
      const c = i % numClasses;
      const blob = c * clusters + random.below(clusters);
      for (let k = 0; k < latentDim; k += 1) z[k] = centres[blob * latentDim + k] + random.normal();
      for (let d = 0; d < dim; d += 1) {
        let x = noise * random.normal();
        for (let k = 0; k < latentDim; k += 1) x += basis[d * latentDim + k] * z[k];
        images[i * dim + d] = x;
      }
      // Both draws happen for every example, so the features do not depend on labelNoise.
      const corrupt = random.uniform() < corruptShare;
      const replacement = random.below(numClasses);
      labels[i] = corrupt ? replacement : c;
    }
    return { name: `toy-${seed}/${split}`, images, labels, shape: [n, dim], numClasses };
  };
  return {
    train: sample(trainSize, new Random(seed, TRAIN_STREAM), 'train', labelNoise),
    test: sample(testSize, new Random(seed, TEST_STREAM), 'test', 0),
  };
}
