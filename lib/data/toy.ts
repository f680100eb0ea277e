// A seeded synthetic classification problem for the paper's toy studies (a 5-layer MLP, Fig. 1-2).
import { constants } from 'buffer';
import { checkNumber, RULES } from '../defaults';
import { BYTES_PER_VALUE, checkFitsDevice, datasetBytes, formatBytes } from '../memory-budget';
import { checkKeys, integer, number, OptionError } from '../options';
import { Random } from './random';
import type { DatasetSplits, ArraySet } from './types';

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
  /** Default 512: small, so that a network fits it while a generalisation gap remains. At most 2^20. */
  trainSize?: number;
  /** Default 4096. At most 2^20. */
  testSize?: number;
}

// Independent random streams per purpose: the test split does not change when trainSize does.
const PARAMETER_STREAM = 0;
const TRAIN_STREAM = 1;
const TEST_STREAM = 2;
const { MAX_LENGTH } = constants;

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

/** The validated options and the drawn parameters (basis Q, blob centres μ) of one toy distribution. */
interface ToyDistribution {
  seed: number;
  numClasses: number;
  dim: number;
  latentDim: number;
  clusters: number;
  noise: number;
  labelNoise: number;
  trainSize: number;
  testSize: number;
  /** [dim, latentDim] row-major, orthonormal columns. */
  basis: Float64Array;
  /** [numClasses * clusters, latentDim]: blob b of class c is row c * clusters + b. */
  centres: Float64Array;
}

// Drawing an example costs dim x latentDim normals: 2^20 of them take about 10 s with the defaults.
const SPLIT_SIZE = { integer: true, min: 1, limit: 1 << 20, limitReason: 'a synthetic set for small studies; drawing 2^20 examples takes about 10 s' } as const;

/** The splits and the basis fit in one typed array each (Node's limit) and in the machine's memory. */
function checkToyFits(where: string, trainSize: number, testSize: number, dim: number, latentDim: number): void {
  const largest = Math.max(Math.max(trainSize, testSize) * dim * 4, dim * latentDim * 8);
  if (largest > MAX_LENGTH) {
    throw new OptionError(`${where}: dim ${dim} makes an array of ${formatBytes(largest)}, beyond the ${formatBytes(MAX_LENGTH)} ` +
      'a typed array can hold; lower dim, latentDim or the split sizes');
  }
  checkFitsDevice(where, datasetBytes(trainSize + testSize, dim, BYTES_PER_VALUE.values) + dim * latentDim * 8, 'cpu',
    `the toy splits (${trainSize} + ${testSize} examples of ${dim} float32 values)`, 'lower trainSize, testSize or dim');
}

function distribution(options: ToyOptions, where: string): ToyDistribution {
  checkKeys(where, options, ['seed', 'numClasses', 'dim', 'latentDim', 'clustersPerClass', 'spread', 'noise', 'labelNoise', 'trainSize', 'testSize']);
  const seed = integer(where, 'seed', options.seed ?? 0, 0);
  const numClasses = checkNumber(where, 'numClasses', options.numClasses ?? 4, RULES.numClasses);
  const dim = integer(where, 'dim', options.dim ?? 16, 1);
  const latentDim = integer(where, 'latentDim', options.latentDim ?? Math.min(6, dim), 1);
  if (latentDim > dim) throw new OptionError(`${where}: latentDim must be <= dim (${dim}), got ${latentDim}`);
  const clusters = integer(where, 'clustersPerClass', options.clustersPerClass ?? 3, 1);
  const spread = number(where, 'spread', options.spread ?? 2, { above: 0 });
  const noise = number(where, 'noise', options.noise ?? 0.5, { min: 0 });
  const labelNoise = number(where, 'labelNoise', options.labelNoise ?? 0, { min: 0, max: 1 });
  const trainSize = checkNumber(where, 'trainSize', options.trainSize ?? 512, SPLIT_SIZE);
  const testSize = checkNumber(where, 'testSize', options.testSize ?? 4096, SPLIT_SIZE);
  checkToyFits(where, trainSize, testSize, dim, latentDim);
  if (numClasses * clusters * latentDim > 2 ** 24) {
    throw new OptionError(`${where}: numClasses × clustersPerClass × latentDim (the blobs' centres) must be at most 2^24, got ` +
      `${numClasses} × ${clusters} × ${latentDim}`);
  }

  const parameters = new Random(seed, PARAMETER_STREAM);
  const basis = orthonormalColumns(dim, latentDim, parameters);
  const centres = new Float64Array(numClasses * clusters * latentDim);
  for (let i = 0; i < centres.length; i += 1) centres[i] = spread * parameters.normal();
  return { seed, numClasses, dim, latentDim, clusters, noise, labelNoise, trainSize, testSize, basis, centres };
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
 * test error (`toyBayesError`, exact posterior) is 3.6–9.0 % on seeds 0–4. Classes are balanced:
 * example i has class i mod numClasses.
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
  const { seed, numClasses, dim, latentDim, clusters, noise, labelNoise, trainSize, testSize, basis, centres } =
    distribution(options, 'datasets.toy');
  const sample = (n: number, random: Random, split: string, corruptShare: number): ArraySet => {
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
    return { name: `toy-${seed}/${split}`, kind: 'values', images, labels, shape: [n, dim], numClasses };
  };
  return {
    train: sample(trainSize, new Random(seed, TRAIN_STREAM), 'train', labelNoise),
    test: sample(testSize, new Random(seed, TEST_STREAM), 'test', 0),
  };
}

/**
 * Error (percent) of the Bayes-optimal classifier on the test split of `toy(options)`: the floor no
 * model can beat, so a model's test error minus this is the part of its error that training could
 * still remove. Exact posterior with the true densities: every blob has covariance Q Qᵀ + noise² I,
 * so the off-subspace part of x is equally likely under all blobs and p(x | blob) depends only on
 * ‖Qᵀx − μ‖² / (1 + noise²); classes are balanced, so the rule is the argmax over classes of the
 * mean of exp(−‖Qᵀx − μ‖² / (2 (1 + noise²))) over the class's blobs.
 */
export function toyBayesError(options: ToyOptions = {}): number {
  const d = distribution(options, 'datasets.toyBayesError');
  const { test } = toy(options);
  const variance = 1 + d.noise ** 2;
  const z = new Float64Array(d.latentDim);
  const logLikelihood = new Float64Array(d.clusters);
  let errors = 0;
  for (let i = 0; i < d.testSize; i += 1) {
    z.fill(0);
    for (let j = 0; j < d.dim; j += 1) {
      const x = test.images[i * d.dim + j];
      for (let k = 0; k < d.latentDim; k += 1) z[k] += d.basis[j * d.latentDim + k] * x;
    }
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < d.numClasses; c += 1) {
      for (let b = 0; b < d.clusters; b += 1) {
        let squared = 0;
        for (let k = 0; k < d.latentDim; k += 1) squared += (z[k] - d.centres[(c * d.clusters + b) * d.latentDim + k]) ** 2;
        logLikelihood[b] = -squared / (2 * variance);
      }
      // log-sum-exp over the class's blobs: far-away points would underflow exp().
      const top = Math.max(...logLikelihood);
      let sum = 0;
      for (let b = 0; b < d.clusters; b += 1) sum += Math.exp(logLikelihood[b] - top);
      const score = top + Math.log(sum);
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    if (best !== test.labels[i]) errors += 1;
  }
  return (100 * errors) / d.testSize;
}
