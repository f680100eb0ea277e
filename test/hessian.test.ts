// The native Hessian machinery against exact Hessians of tiny models: the closed form of a softmax
// classifier's Hessian, and a full MLP's Hessian assembled column by column from HVPs.
import test from 'ava';
import { analysis, models, PoFTrainer, schedules } from '../lib';
import { drawBatches } from '../lib/analysis/target';
import { linearClassifierClosedForm } from './helpers/softmax-hessian';
import { dot, matVec, norm, relativeError, symmetricEigen } from './helpers/symmetric-eigen';
import { blobs, range, rng, testDevice as device, tinyImages } from './helpers/synthetic';

const data = blobs(60, 4, 4, 11, 1.5, 1.5);

async function trainedMlp(seed = 1) {
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [6, 5], numClasses: 4 }), device, seed });
  await trainer.fit(data, { epochs: 15, batchSize: 16, lr: 0.1, schedule: schedules.constant() });
  return trainer;
}

async function classifierProblem(trainer: PoFTrainer) {
  const state = await trainer.stateDict();
  return {
    features: await trainer.features(data, range(data.shape[0])),
    labels: data.labels,
    weight: state['classifiers.0.weight'].data as Float32Array,
    bias: state['classifiers.0.bias'].data as Float32Array,
    numClasses: 4,
  };
}

function randomVector(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
}

async function exactHessian(trainer: PoFTrainer, subset: string): Promise<{ h: Float64Array; n: number; asymmetry: number }> {
  const n = analysis.parameterLayout(trainer, subset).size;
  const h = new Float64Array(n * n);
  for (let j = 0; j < n; j += 1) {
    const e = new Float64Array(n);
    e[j] = 1;
    const column = await analysis.hessianVectorProduct(trainer, data, e, { subset });
    for (let i = 0; i < n; i += 1) h[i * n + j] = column[i];
  }
  let asym = 0, total = 0;
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      asym += (h[i * n + j] - h[j * n + i]) ** 2;
      total += h[i * n + j] ** 2;
    }
  }
  const sym = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) for (let j = 0; j < n; j += 1) sym[i * n + j] = (h[i * n + j] + h[j * n + i]) / 2;
  return { h: sym, n, asymmetry: Math.sqrt(asym / total) };
}

test('classifier: loss, gradient and HVPs equal the closed form of the softmax Hessian', async (t) => {
  const trainer = await trainedMlp();
  const exact = linearClassifierClosedForm(await classifierProblem(trainer));
  const { loss, gradient } = await analysis.lossAndGradient(trainer, data, { subset: 'classifier' });
  t.true(Math.abs(loss - exact.loss) < 1e-6 * exact.loss, `loss ${loss} vs ${exact.loss}`);
  t.true(relativeError(gradient, exact.gradient) < 1e-5, `gradient error ${relativeError(gradient, exact.gradient)}`);
  for (const seed of [1, 2, 3]) {
    const v = randomVector(exact.size, seed);
    const hv = await analysis.hessianVectorProduct(trainer, data, v, { subset: 'classifier' });
    const err = relativeError(hv, matVec(exact.hessian, exact.size, v));
    t.true(err < 1e-5, `H v relative error ${err}`);
  }
});

test('classifier: Lanczos top-k eigenpairs match the closed-form Hessian to 1e-4 relative', async (t) => {
  const trainer = await trainedMlp();
  const exact = linearClassifierClosedForm(await classifierProblem(trainer));
  const reference = symmetricEigen(exact.hessian, exact.size);
  const k = 4;
  const top = await analysis.hessianTopK(trainer, data, { subset: 'classifier', k });
  t.true(top.converged);
  t.is(top.layout.size, exact.size);
  t.deepEqual(top.layout.names, ['classifiers.0.weight', 'classifiers.0.bias']);
  for (let i = 0; i < k; i += 1) {
    const rel = Math.abs(top.values[i] - reference.values[i]) / Math.abs(reference.values[i]);
    t.true(rel < 1e-4, `eigenvalue ${i + 1}: ${top.values[i]} vs exact ${reference.values[i]} (rel ${rel})`);
    t.true(Math.abs(norm(top.vectors[i]) - 1) < 1e-9);
    // Unit eigenvectors of well-separated eigenvalues agree up to sign; H v = λ v holds regardless.
    const hv = matVec(exact.hessian, exact.size, top.vectors[i]);
    const residual = norm(hv.map((x, j) => x - top.values[i] * top.vectors[i][j]));
    t.true(residual < 1e-4 * reference.values[0], `residual ${residual}`);
  }
  t.true(top.values[0] > top.values[k - 1] * 1.01, 'the test spectrum has distinct top eigenvalues');
});

test('full MLP: Lanczos top-k eigenvalues match the exact Hessian built from HVPs with unit vectors', async (t) => {
  const trainer = await trainedMlp(2);
  const { h, n, asymmetry } = await exactHessian(trainer, 'all');
  t.is(n, 4 * 6 + 6 + 6 * 5 + 5 + 5 * 4 + 4);
  t.true(asymmetry < 1e-5, `HVP columns are symmetric up to float32 rounding: ${asymmetry}`);
  const reference = symmetricEigen(h, n);
  const k = 4;
  const top = await analysis.hessianTopK(trainer, data, { subset: 'all', k, seed: 3 });
  t.true(top.converged);
  t.true(reference.values[k - 1] > 1e-3 * reference.values[0], `top-${k} eigenvalues well above rounding: ${reference.values.slice(0, k)}`);
  for (let i = 0; i < k; i += 1) {
    const rel = Math.abs(top.values[i] - reference.values[i]) / Math.abs(reference.values[i]);
    t.true(rel < 1e-4, `eigenvalue ${i + 1}: ${top.values[i]} vs exact ${reference.values[i]} (rel ${rel})`);
  }
  // k = n: the whole spectrum, negative eigenvalues included, needs the full Krylov space.
  const whole = await analysis.hessianTopK(trainer, data, { subset: 'all', k: n, seed: 4 });
  t.is(whole.iterations, n);
  t.true(reference.values[n - 1] < 0, 'a ReLU network\'s Hessian is indefinite');
  const worst = Math.max(...whole.values.map((v, i) => Math.abs(v - reference.values[i])));
  t.true(worst < 1e-6 * reference.values[0], `whole spectrum: largest deviation ${worst}`);
  // A layer's block is a principal submatrix of the full Hessian: rows/columns of 'layers.1'.
  const offset = 4 * 6 + 6, size = 6 * 5 + 5;
  const block = new Float64Array(size * size);
  for (let i = 0; i < size; i += 1) for (let j = 0; j < size; j += 1) block[i * size + j] = h[(offset + i) * n + offset + j];
  const layer = await analysis.hessianTopK(trainer, data, { subset: 'layers.1', k: 2 });
  const blockEigen = symmetricEigen(block, size);
  for (let i = 0; i < 2; i += 1) {
    t.true(Math.abs(layer.values[i] - blockEigen.values[i]) < 1e-4 * Math.abs(blockEigen.values[i]), `layers.1 eigenvalue ${i + 1}`);
  }
});

test('a rank-deficient Hessian: one example gives C − 1 nonzero classifier eigenvalues, the rest 0', async (t) => {
  const trainer = await trainedMlp(9);
  const problem = await classifierProblem(trainer);
  const exact = linearClassifierClosedForm(problem, [0]);
  const reference = symmetricEigen(exact.hessian, exact.size);
  const top = await analysis.hessianTopK(trainer, data, { indices: Int32Array.of(0), k: 6 });
  t.true(top.converged);
  for (let i = 0; i < 3; i += 1) {
    t.true(Math.abs(top.values[i] - reference.values[i]) < 1e-4 * reference.values[i], `eigenvalue ${i + 1}: ${top.values[i]} vs ${reference.values[i]}`);
  }
  for (let i = 3; i < 6; i += 1) t.true(Math.abs(top.values[i]) < 1e-5 * top.values[0], `eigenvalue ${i + 1} is zero: ${top.values[i]}`);
});

test('HVPs are symmetric (vᵀHw = wᵀHv) and equal central differences of gradients', async (t) => {
  const trainer = await trainedMlp(3);
  const n = analysis.parameterLayout(trainer, 'all').size;
  const v = randomVector(n, 5), w = randomVector(n, 6);
  const hv = await analysis.hessianVectorProduct(trainer, data, v, { subset: 'all' });
  const hw = await analysis.hessianVectorProduct(trainer, data, w, { subset: 'all' });
  const a = dot(w, hv), b = dot(v, hw);
  t.true(Math.abs(a - b) < 1e-5 * (Math.abs(a) + Math.abs(b)), `wᵀHv ${a} vs vᵀHw ${b}`);

  // (g(w + εv) − g(w − εv)) / 2ε → Hv; ε small enough for no ReLU to switch, large for float32 gradients.
  const state = await trainer.stateDict();
  const layout = analysis.parameterLayout(trainer, 'all');
  const shifted = (eps: number) => {
    const out = { ...state };
    layout.names.forEach((name, i) => {
      const src = state[name].data as Float32Array;
      out[name] = { ...state[name], data: Float32Array.from(src, (x, j) => x + eps * v[layout.offsets[i] + j]) };
    });
    return out;
  };
  const eps = 1e-3;
  await trainer.loadStateDict(shifted(eps));
  const plus = (await analysis.lossAndGradient(trainer, data, { subset: 'all' })).gradient;
  await trainer.loadStateDict(shifted(-eps));
  const minus = (await analysis.lossAndGradient(trainer, data, { subset: 'all' })).gradient;
  await trainer.loadStateDict(state);
  const fd = plus.map((x, i) => (x - minus[i]) / (2 * eps));
  const err = relativeError(hv, fd);
  t.true(err < 1e-2, `HVP vs finite differences: relative error ${err}`);
});

test('curvature along the mini-batch gradient equals ĝᵀH_Bĝ of the closed form', async (t) => {
  const trainer = await trainedMlp(4);
  const problem = await classifierProblem(trainer);
  const options = { batches: 3, batchSize: 20, seed: 9 };
  const r = await analysis.curvatureAlongGradient(trainer, data, options);
  const indices = drawBatches('test', data.shape[0], options);
  t.is(r.values.length, 3);
  for (let b = 0; b < 3; b += 1) {
    const exact = linearClassifierClosedForm(problem, indices.subarray(b * 20, (b + 1) * 20));
    const g = exact.gradient, gn = norm(g);
    const unit = g.map((x) => x / gn);
    const curvature = dot(unit, matVec(exact.hessian, exact.size, unit));
    t.true(Math.abs(r.values[b] - curvature) < 1e-5 * curvature, `batch ${b}: ${r.values[b]} vs ${curvature}`);
    t.true(Math.abs(r.gradNorms[b] - gn) < 1e-5 * gn);
    t.true(Math.abs(r.losses[b] - exact.loss) < 1e-5 * exact.loss);
  }
});

test('results do not depend on the chunk size', async (t) => {
  const trainer = await trainedMlp(5);
  for (const subset of ['classifier', 'all', 'layers.0']) {
    const n = analysis.parameterLayout(trainer, subset).size;
    const v = randomVector(n, 7);
    const one = await analysis.hessianVectorProduct(trainer, data, v, { subset, chunkSize: 1000 });
    const many = await analysis.hessianVectorProduct(trainer, data, v, { subset, chunkSize: 7 });
    t.true(relativeError(many, one) < 1e-6, `${subset}: HVP`);
    const g1 = await analysis.lossAndGradient(trainer, data, { subset, chunkSize: 1000 });
    const g7 = await analysis.lossAndGradient(trainer, data, { subset, chunkSize: 7 });
    t.true(Math.abs(g1.loss - g7.loss) < 1e-6 * g1.loss && relativeError(g7.gradient, g1.gradient) < 1e-6, `${subset}: gradient`);
    const [a] = await analysis.lossAlongDirection(trainer, data, [v], [-0.5, 0.25], { subset, chunkSize: 1000 });
    const [b] = await analysis.lossAlongDirection(trainer, data, [v], [-0.5, 0.25], { subset, chunkSize: 7 });
    t.true(relativeError(b, a) < 1e-6, `${subset}: loss along`);
  }
});

test('loss along a direction: L(w) at t = 0, the closed form elsewhere, weights restored bit for bit', async (t) => {
  const trainer = await trainedMlp(6);
  const problem = await classifierProblem(trainer);
  const before = await trainer.stateDict();
  const n = analysis.parameterLayout(trainer, 'classifier').size;
  const v = randomVector(n, 8);
  const steps = [-1, 0, 0.5];
  const [losses] = await analysis.lossAlongDirection(trainer, data, [v], steps);
  const after = await trainer.stateDict();
  for (const name of Object.keys(before)) {
    t.deepEqual(Buffer.from((after[name].data as Float32Array).buffer), Buffer.from((before[name].data as Float32Array).buffer), name);
  }
  const c = problem.numClasses, d = problem.weight.length / c;
  steps.forEach((s, i) => {
    const moved = {
      ...problem,
      weight: Float32Array.from(problem.weight, (x, j) => x + s * v[j]),
      bias: Float32Array.from(problem.bias, (x, j) => x + s * v[c * d + j]),
    };
    const exact = linearClassifierClosedForm(moved).loss;
    t.true(Math.abs(losses[i] - exact) < 1e-5 * exact, `t = ${s}: ${losses[i]} vs ${exact}`);
  });
  const evaluated = await trainer.evaluate(data);
  t.true(Math.abs(losses[1] - evaluated.loss) < 1e-6 * evaluated.loss);
});

test('subsets: names as in the state dict, unions, and clear errors for unknown names', async (t) => {
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [6, 5], numClasses: 4 }), device });
  t.deepEqual(analysis.parameterLayout(trainer, 'layers.1').names, ['layers.1.weight', 'layers.1.bias']);
  t.deepEqual(analysis.parameterLayout(trainer, 'features').names, ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
  const union = analysis.parameterLayout(trainer, ['classifiers.0.bias', 'layers.0.weight']);
  t.deepEqual(union.names, ['layers.0.weight', 'classifiers.0.bias']);
  t.deepEqual(union.offsets, [0, 24]);
  t.is(union.size, 28);
  t.is(analysis.parameterLayout(trainer, 'all').size, 89);
  const error = t.throws(() => analysis.parameterLayout(trainer, 'layers.7'));
  t.regex(error!.message, /parameter subset 'layers.7' matches no parameter/);
  t.regex(error!.message, /layers\.0, layers\.1, classifiers\.0/);
  t.regex(error!.message, /layers\.0\.weight/);
  // A prefix matches at dot boundaries only: 'layers' is the module list, 'layer' nothing.
  t.is(analysis.parameterLayout(trainer, 'layers').size, 4 * 6 + 6 + 6 * 5 + 5);
  t.throws(() => analysis.parameterLayout(trainer, 'layer'), { message: /'layer' matches no parameter/ });
});

test('invalid ks, vectors, chunk sizes and indices give errors, not crashes', async (t) => {
  const trainer = await trainedMlp(7);
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { k: 0 }), { message: /k must be >= 1, got 0/ });
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { k: 25 }), { message: /k must be <= 24, the size of the parameter subset; got 25/ });
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { k: 3, maxIterations: 2 }), { message: /maxIterations must be >= 3/ });
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { subset: 'nope', k: 1 }), { message: /'nope' matches no parameter/ });
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { subset: [] }), { message: /subset must be/ });
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { kk: 1 } as never), { message: /unknown option 'kk'/ });
  await t.throwsAsync(analysis.hessianVectorProduct(trainer, data, new Float64Array(3)), { message: /vector has 3 elements but the parameter subset has 24/ });
  await t.throwsAsync(analysis.hessianVectorProduct(trainer, data, [1, 2] as never), { message: /Float32Array or Float64Array/ });
  await t.throwsAsync(analysis.lossAndGradient(trainer, data, { chunkSize: 0 }), { message: /chunkSize must be >= 1/ });
  await t.throwsAsync(analysis.lossAndGradient(trainer, data, { indices: Int32Array.of(0, 60) }), { message: /indices must lie in 0..59, got 60/ });
  await t.throwsAsync(analysis.lossAlongDirection(trainer, data, [], [0]), { message: /directions must be a non-empty array/ });
  await t.throwsAsync(analysis.lossAlongDirection(trainer, data, [new Float32Array(24)], [NaN]), { message: /t\[0\] must be a finite number/ });
  await t.throwsAsync(analysis.curvatureAlongGradient(trainer, data, { batches: 0 }), { message: /batches must be >= 1/ });
});

test('the model is busy while an analysis runs, and usable again afterwards', async (t) => {
  const trainer = await trainedMlp(8);
  const running = analysis.hessianTopK(trainer, data, { subset: 'all', k: 2 });
  await t.throwsAsync(trainer.evaluate(data), { message: /busy/ });
  const top = await running;
  t.true(top.values[0] >= top.values[1]);
  t.true(Number.isFinite((await trainer.evaluate(data)).loss));
});

test('BatchNorm networks: evaluation mode makes chunking exact and leaves running statistics untouched', async (t) => {
  const images = tinyImages(24, 3);
  const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 4 }), device, seed: 2 });
  await trainer.fit(images, { epochs: 1, batchSize: 8, lr: 0.05, schedule: schedules.constant() });
  const before = await trainer.stateDict();
  t.true(Object.keys(before).some((name) => name.endsWith('running_mean')));
  for (const subset of ['classifier', 'layer1.num_0.conv1', 'bn_out']) {
    const n = analysis.parameterLayout(trainer, subset).size;
    const v = randomVector(n, 1), w = randomVector(n, 2);
    const one = await analysis.hessianVectorProduct(trainer, images, v, { subset, chunkSize: 24 });
    const many = await analysis.hessianVectorProduct(trainer, images, v, { subset, chunkSize: 5 });
    t.true(relativeError(many, one) < 1e-5, `${subset}: chunked HVP`);
    const hw = await analysis.hessianVectorProduct(trainer, images, w, { subset });
    const a = dot(w, one), b = dot(v, hw);
    t.true(Math.abs(a - b) < 1e-4 * (Math.abs(a) + Math.abs(b)), `${subset}: wᵀHv ${a} vs vᵀHw ${b}`);
  }
  await analysis.curvatureAlongGradient(trainer, images, { batches: 2, batchSize: 8 });
  await analysis.lossAlongDirection(trainer, images, [randomVector(analysis.parameterLayout(trainer, 'all').size, 3)], [0.1], { subset: 'all' });
  const after = await trainer.stateDict();
  for (const name of Object.keys(before)) {
    const x = before[name].data, y = after[name].data;
    t.deepEqual(Buffer.from(y.buffer, y.byteOffset, y.byteLength), Buffer.from(x.buffer, x.byteOffset, x.byteLength), name);
  }
});
