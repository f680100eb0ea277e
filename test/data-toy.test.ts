import test from 'ava';
import { OptionError } from '../lib/errors';
import { toy, toyBayesError } from '../lib/data/toy';
import type { ArraySet } from '../lib/data/types';

function squaredDistance(a: ArraySet, i: number, b: ArraySet, j: number): number {
  const d = a.shape[1];
  let s = 0;
  for (let k = 0; k < d; k += 1) s += (a.images[i * d + k] - b.images[j * d + k]) ** 2;
  return s;
}

/** Test accuracy of 1-nearest-neighbour on the training set: a model that fits it perfectly. */
function oneNearestNeighbourAccuracy(train: ArraySet, test: ArraySet): number {
  let correct = 0;
  for (let i = 0; i < test.shape[0]; i += 1) {
    let best = 0;
    let bestDistance = Infinity;
    for (let j = 0; j < train.shape[0]; j += 1) {
      const d = squaredDistance(test, i, train, j);
      if (d < bestDistance) [best, bestDistance] = [j, d];
    }
    if (train.labels[best] === test.labels[i]) correct += 1;
  }
  return correct / test.shape[0];
}

/** Test accuracy of the nearest class mean: a linear rule. */
function nearestMeanAccuracy(train: ArraySet, test: ArraySet): number {
  const [n, d] = train.shape;
  const c = train.numClasses;
  const means = new Float64Array(c * d);
  const counts = new Float64Array(c);
  for (let i = 0; i < n; i += 1) {
    counts[train.labels[i]] += 1;
    for (let k = 0; k < d; k += 1) means[train.labels[i] * d + k] += train.images[i * d + k];
  }
  for (let k = 0; k < c * d; k += 1) means[k] /= counts[Math.floor(k / d)];
  let correct = 0;
  for (let i = 0; i < test.shape[0]; i += 1) {
    let best = 0;
    let bestDistance = Infinity;
    for (let a = 0; a < c; a += 1) {
      let s = 0;
      for (let k = 0; k < d; k += 1) s += (test.images[i * d + k] - means[a * d + k]) ** 2;
      if (s < bestDistance) [best, bestDistance] = [a, s];
    }
    if (best === test.labels[i]) correct += 1;
  }
  return correct / test.shape[0];
}

test('defaults: 512 training and 4096 test vectors of 16 float32 features, 4 balanced classes', (t) => {
  const { train, test: testSet } = toy();
  t.deepEqual(train.shape, [512, 16]);
  t.deepEqual(testSet.shape, [4096, 16]);
  t.true(train.images instanceof Float32Array);
  t.is(train.images.length, 512 * 16);
  t.is(train.numClasses, 4);
  t.is(train.name, 'toy-0/train');
  t.is(testSet.name, 'toy-0/test');
  t.true(train.images.every(Number.isFinite));
  for (const split of [train, testSet]) {
    const counts = [0, 0, 0, 0];
    split.labels.forEach((y) => { counts[y] += 1; });
    t.deepEqual(counts, Array(4).fill(split.shape[0] / 4));
  }
  t.is(train.normalization, undefined);
  t.is(train.augmentation, undefined);
});

test('the same seed gives identical data; another seed different data', (t) => {
  const a = toy({ seed: 3 });
  const b = toy({ seed: 3 });
  t.deepEqual(Buffer.from(a.train.images.buffer), Buffer.from(b.train.images.buffer));
  t.deepEqual(Buffer.from(a.test.images.buffer), Buffer.from(b.test.images.buffer));
  t.deepEqual([...a.train.labels], [...b.train.labels]);
  const c = toy({ seed: 4 });
  t.notDeepEqual(Buffer.from(a.train.images.buffer), Buffer.from(c.train.images.buffer));
  t.notDeepEqual(Buffer.from(a.test.images.buffer), Buffer.from(c.test.images.buffer));
});

test('the test split does not depend on the training split size', (t) => {
  const small = toy({ seed: 1, trainSize: 256 });
  const large = toy({ seed: 1, trainSize: 1024 });
  t.deepEqual(Buffer.from(small.test.images.buffer), Buffer.from(large.test.images.buffer));
  t.deepEqual(Buffer.from(small.train.images.buffer), Buffer.from(large.train.images.buffer, 0, 256 * 16 * 4));
});

test('learnable but not separable: a memorising model fits the training set and still errs on the test set', (t) => {
  for (const seed of [0, 1, 2]) {
    const { train, test: testSet } = toy({ seed, testSize: 1000 });
    const memorised = oneNearestNeighbourAccuracy(train, testSet);
    const linear = nearestMeanAccuracy(train, testSet);
    t.log(`seed ${seed}: 1-NN test accuracy ${memorised.toFixed(3)}, nearest class mean ${linear.toFixed(3)}`);
    // 1-NN is 100% on its own training set; well above chance (25%) on the test set, yet below 100%.
    t.true(memorised > 0.7 && memorised < 0.97, `1-NN ${memorised}`);
    // Several blobs per class: a single linear template per class is clearly worse.
    t.true(linear < memorised - 0.1, `nearest mean ${linear} vs 1-NN ${memorised}`);
  }
});

test('the class structure lives in a latentDim-dimensional subspace', (t) => {
  // Without noise, all points lie in the span of latentDim directions: the centred Gram matrix of
  // any latentDim + 1 difference vectors is singular. Checked via the rank of the sample covariance.
  const { train } = toy({ seed: 5, dim: 10, latentDim: 3, noise: 0, trainSize: 200 });
  const [n, d] = train.shape;
  const cov = Array.from({ length: d }, () => new Float64Array(d));
  for (let i = 0; i < n; i += 1) {
    for (let a = 0; a < d; a += 1) for (let b = 0; b < d; b += 1) cov[a][b] += train.images[i * d + a] * train.images[i * d + b];
  }
  // Gaussian elimination with a relative tolerance gives the numerical rank.
  let rank = 0;
  const scale = Math.max(...cov.map((row, i) => Math.abs(row[i])));
  for (let col = 0; col < d && rank < d; col += 1) {
    let pivot = rank;
    for (let r = rank + 1; r < d; r += 1) if (Math.abs(cov[r][col]) > Math.abs(cov[pivot][col])) pivot = r;
    if (Math.abs(cov[pivot][col]) < 1e-4 * scale) continue;
    [cov[rank], cov[pivot]] = [cov[pivot], cov[rank]];
    for (let r = rank + 1; r < d; r += 1) {
      const f = cov[r][col] / cov[rank][col];
      for (let c = col; c < d; c += 1) cov[r][c] -= f * cov[rank][c];
    }
    rank += 1;
  }
  t.is(rank, 3);
});

test('label noise corrupts about that share of training labels and leaves the features and test labels alone', (t) => {
  const clean = toy({ seed: 2, trainSize: 1024 });
  const noisy = toy({ seed: 2, trainSize: 1024, labelNoise: 0.4 });
  t.deepEqual(Buffer.from(clean.train.images.buffer), Buffer.from(noisy.train.images.buffer));
  t.deepEqual([...clean.test.labels], [...noisy.test.labels]);
  const changed = clean.train.labels.filter((y, i) => noisy.train.labels[i] !== y).length / 1024;
  // A corrupted label is redrawn uniformly, so 3/4 of the corrupted ones actually change.
  t.true(Math.abs(changed - 0.4 * 0.75) < 0.05, `changed ${changed}`);
});

test('options are validated', (t) => {
  t.throws(() => toy({ sede: 1 } as never), { message: /datasets\.toy: unknown option 'sede'/ });
  t.throws(() => toy({ numClasses: 1 }), { message: /numClasses must be >= 2/ });
  t.throws(() => toy({ dim: 4, latentDim: 5 }), { message: /latentDim must be <= dim \(4\), got 5/ });
  t.throws(() => toy({ labelNoise: 1.5 }), { message: /labelNoise must be <= 1/ });
  t.throws(() => toy({ seed: -1 }), { message: /seed must be >= 0/ });
  t.deepEqual(toy({ dim: 3, trainSize: 8, testSize: 8 }).train.shape, [8, 3]); // latentDim defaults to min(6, dim)
});

test('a toy set of 10^7 examples, or a dim beyond a typed array, is refused at once, not after minutes and a RangeError', (t) => {
  const started = Date.now();
  t.throws(() => toy({ trainSize: 1e7, testSize: 1e7 }),
    { instanceOf: OptionError, message: /^datasets\.toy: trainSize must be at most 1048576 \(a synthetic set for small studies; drawing 2\^20 examples takes about 10 s\), got 10000000$/ });
  t.throws(() => toy({ testSize: 2 ** 21 }), { instanceOf: OptionError, message: /testSize must be at most 1048576/ });
  t.throws(() => toy({ dim: 2 ** 28, trainSize: 1, testSize: 1 }),
    { instanceOf: OptionError, message: /^datasets\.toy: dim 268435456 makes an array of 12\.9 GB, beyond the 4\.3 GB a typed array can hold; lower dim/ });
  t.true(Date.now() - started < 1000, 'refused before any drawing');
});

test('the Bayes-optimal test error: a floor below what memorising and linear rules reach, zero for far-apart blobs', (t) => {
  for (const seed of [0, 1]) {
    const options = { seed, testSize: 1000 };
    const bayes = toyBayesError(options);
    const { train, test: testSet } = toy(options);
    const oneNN = 100 * (1 - oneNearestNeighbourAccuracy(train, testSet));
    const nearestMean = 100 * (1 - nearestMeanAccuracy(train, testSet));
    t.log(`seed ${seed}: Bayes ${bayes.toFixed(2)} %, 1-NN ${oneNN.toFixed(2)} %, nearest mean ${nearestMean.toFixed(2)} %`);
    t.true(bayes > 0 && bayes < oneNN && bayes < nearestMean, `Bayes ${bayes}`);
    t.is(toyBayesError(options), bayes);
  }
  // Blob centres 100 standard deviations apart: the classes do not overlap.
  t.is(toyBayesError({ seed: 2, spread: 100, testSize: 500 }), 0);
  // Label noise corrupts only the training split, so the test floor is unchanged.
  t.is(toyBayesError({ seed: 2, labelNoise: 0.3, testSize: 500 }), toyBayesError({ seed: 2, testSize: 500 }));
  t.throws(() => toyBayesError({ spread: 0 }), { message: /datasets\.toyBayesError: spread must be > 0, got 0/ });
});
