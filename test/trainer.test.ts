import test from 'ava';
import { models, PoFTrainer, schedules, StateDict } from '../lib';
import { blobs, range, testDevice as device, tinyImages } from './helpers/synthetic';

const mlp = () => models.mlp({ inputDim: 6, hidden: [16, 16, 16, 16], numClasses: 3 });

function bytes(t: StateDict[string]): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
function sameTensors(a: StateDict, b: StateDict, names: string[]): boolean {
  return names.every((n) => bytes(a[n]).equals(bytes(b[n])));
}
function l2(a: StateDict, b: StateDict, names: string[]): number {
  let s = 0;
  for (const n of names) {
    const x = a[n].data as Float32Array, y = b[n].data as Float32Array;
    for (let i = 0; i < x.length; i += 1) s += (x[i] - y[i]) ** 2;
  }
  return Math.sqrt(s);
}

test('the model exposes its parameter groups, feature dimension and counts', (t) => {
  const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 2, numClasses: 10 }), device });
  const m = trainer.model;
  t.is(m.featureDim, 128);
  t.deepEqual(m.parameterGroups.classifier, ['classifiers.0.weight', 'classifiers.0.bias']);
  t.is(m.parameterGroups.features[0], 'conv1.weight');
  t.true(m.parameterGroups.features.includes('layer2.num_0.shortcut.0.weight'));
  t.true(m.parameterGroups.features.includes('bn_out.weight'));
  t.is(m.classifierParameterCount, 128 * 10 + 10);
  t.is(m.parameterCount, m.featureParameterCount + m.classifierParameterCount);
});

test('PoF with gamma = 0 is exactly the base optimizer step on B~ with theta0', async (t) => {
  const data = blobs(96, 6, 3, 1);
  const pof = new PoFTrainer({ model: mlp(), device, seed: 3 });
  const sgd = new PoFTrainer({ model: mlp(), device, seed: 3 });
  const start = await pof.stateDict();
  const step = { indices: range(32), weakIndices: range(32, 50), lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true };
  await pof.step(data, { ...step, method: 'pof', gamma: 0 });
  await sgd.step(data, { ...step, method: 'sgd' });
  const a = await pof.stateDict(), b = await sgd.stateDict();
  const { features, classifier } = pof.model.parameterGroups;
  t.true(sameTensors(a, b, features), 'phi after PoF(gamma=0) equals phi after a plain step');
  t.false(sameTensors(a, start, features), 'phi moved');
  t.true(sameTensors(a, start, classifier), 'theta untouched by PoF');
  t.false(sameTensors(b, start, classifier), 'the plain step does move theta');
});

for (const [label, options] of [
  ['gamma 2', { gamma: 2 }], ['gamma 0', { gamma: 0 }], ['uniform gamma', { gamma: 3, gammaMode: 'uniform' as const }],
  ['linear gamma', { gamma: 2, gammaMode: 'linear' as const }],
] as const) {
  test(`theta is bit-identical after postTrain (${label})`, async (t) => {
    const data = blobs(128, 6, 3, 2, 1, 2);
    const trainer = new PoFTrainer({ model: mlp(), device, seed: 1 });
    await trainer.fit(data, { epochs: 3, batchSize: 16, lr: 0.05, schedule: schedules.constant() });
    const before = await trainer.stateDict();
    const result = await trainer.postTrain(data, { epochs: 2, batchSize: 16, lr: 0.01, ...options });
    const after = await trainer.stateDict();
    const { features, classifier } = trainer.model.parameterGroups;
    t.true(sameTensors(before, after, classifier));
    t.false(sameTensors(before, after, features));
    t.is(result.history.length, 2);
  });
}

test('SAM ascends by exactly rho along the gradient, then restores and updates', async (t) => {
  const data = blobs(64, 6, 3, 4, 1, 2);
  const idx = range(32);
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 5 });
  const names = trainer.model.parameterGroups.features.concat(trainer.model.parameterGroups.classifier);
  const w = await trainer.stateDict();
  const rho = 0.05;
  trainer.samAscend(data, idx, rho);
  const ascended = await trainer.stateDict();
  t.true(Math.abs(l2(ascended, w, names) - rho) < 1e-6 * 50, `ascent length ${l2(ascended, w, names)}`);

  // The direction is the gradient's: a plain SGD step (no momentum, no decay) moves along -g.
  await trainer.loadStateDict(w);
  const plain = { indices: idx, momentum: 0, weightDecay: 0, nesterov: false };
  await trainer.step(data, { ...plain, method: 'sgd', lr: 1 });
  const descended = await trainer.stateDict();
  let dot = 0;
  for (const n of names) {
    const a = ascended[n].data as Float32Array, d = descended[n].data as Float32Array, o = w[n].data as Float32Array;
    for (let i = 0; i < o.length; i += 1) dot += (a[i] - o[i]) * (o[i] - d[i]);
  }
  const cosine = dot / (l2(ascended, w, names) * l2(descended, w, names));
  t.true(cosine > 1 - 1e-5, `cosine ${cosine}`);

  // With lr = 0 the SAM step restores the weights exactly.
  await trainer.loadStateDict(w);
  await trainer.step(data, { ...plain, method: 'sam', rho, lr: 0 });
  t.true(sameTensors(await trainer.stateDict(), w, names));

  // With lr > 0: w - lr * g(w + e), g taken at the ascent point.
  trainer.samAscend(data, idx, rho);
  const atAscent = await trainer.stateDict();
  await trainer.step(data, { ...plain, method: 'sgd', lr: 0.1 });
  const fromAscent = await trainer.stateDict();
  await trainer.loadStateDict(w);
  await trainer.step(data, { ...plain, method: 'sam', rho, lr: 0.1 });
  const sam = await trainer.stateDict();
  let worst = 0;
  for (const n of names) {
    const s = sam[n].data as Float32Array, o = w[n].data as Float32Array;
    const f = fromAscent[n].data as Float32Array, a = atAscent[n].data as Float32Array;
    for (let i = 0; i < o.length; i += 1) worst = Math.max(worst, Math.abs((s[i] - o[i]) - (f[i] - a[i])));
  }
  t.true(worst < 1e-6, `largest difference ${worst}`);
});

// On the CPU: cuDNN's convolution backward sums in a nondeterministic order on CUDA.
test('same seed gives bit-identical weights on the CPU; another seed does not (SGD, SAM, PoF, augmentation)', async (t) => {
  const data = tinyImages(48, 7);
  const run = async (seed: number) => {
    const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 4 }), device: 'cpu', seed });
    await trainer.fit(data, { method: 'sgd', epochs: 1, batchSize: 16, lr: 0.05 });
    await trainer.fit(data, { method: 'sam', epochs: 1, batchSize: 16, lr: 0.05 });
    await trainer.postTrain(data, { epochs: 1, batchSize: 16, lr: 0.01, gammaMode: 'uniform' });
    return trainer.stateDict();
  };
  const [a, b, c] = [await run(11), await run(11), await run(12)];
  const names = Object.keys(a);
  t.true(sameTensors(a, b, names));
  t.false(sameTensors(a, c, names));
});

test('an MLP learns an easy set with SGD (< 5 % training error) and PoF keeps test error within noise', async (t) => {
  const train = blobs(512, 6, 3, 21, 3, 1.5), testSet = blobs(2048, 6, 3, 22, 3, 1.5);
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 0 });
  await trainer.fit(train, { method: 'sgd', epochs: 30, batchSize: 32, lr: 0.05, schedule: schedules.multistep([20], 0.2) });
  const trained = await trainer.evaluate(train);
  t.true(trained.error < 5, `training error ${trained.error} %`);
  const before = await trainer.evaluate(testSet);
  const post = await trainer.postTrain(train, { epochs: 5, batchSize: 32, lr: 3e-3 });
  const after = await trainer.evaluate(testSet);
  // Noise: the binomial standard error of a 2048-example error rate, three of them.
  const noise = 3 * 100 * Math.sqrt((before.error / 100) * (1 - before.error / 100) / 2048) + 0.5;
  t.true(Math.abs(after.error - before.error) <= noise, `test error ${before.error} -> ${after.error} (noise ${noise})`);
  t.log(`train ${trained.error.toFixed(2)} %, test ${before.error.toFixed(2)} % -> ${after.error.toFixed(2)} % after PoF; ` +
    `xi* ${post.history.at(-1)!.xi?.toFixed(3)}, reject rate ${post.history.at(-1)!.rejectRate?.toFixed(2)}`);
});

test('a NaN loss stops training with an error naming the epoch and step', async (t) => {
  const data = blobs(64, 6, 3, 8);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const err = await t.throwsAsync(trainer.fit(data, { epochs: 3, batchSize: 8, lr: 1e30, momentum: 0, weightDecay: 0 }));
  t.regex(err!.message, /training loss became NaN or infinite at epoch 1, step \d+/);
});

test('an AbortSignal stops training at the next step and leaves a usable model', async (t) => {
  const data = blobs(2048, 6, 3, 9);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const controller = new AbortController();
  let steps = 0;
  const result = await trainer.fit(data, {
    epochs: 50, batchSize: 8, lr: 0.01, reportEvery: 10,
    onStep: (s) => { steps = s.step; if (s.step >= 20) controller.abort(); },
    signal: controller.signal,
  });
  t.true(result.aborted);
  t.is(result.history.length, 1);
  t.true(result.history[0].steps < 256, `stopped after ${result.history[0].steps} of 256 steps`);
  t.true(steps >= 20);
  const e = await trainer.evaluate(data);
  t.true(Number.isFinite(e.loss));
});

test('progress reaches JS every N steps with running statistics', async (t) => {
  const data = blobs(256, 6, 3, 10);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const seen: number[] = [];
  const epochs: number[] = [];
  await trainer.postTrain(data, {
    epochs: 2, batchSize: 16, reportEvery: 4,
    onStep: (s) => { seen.push(s.step); t.true(Number.isFinite(s.loss)); t.is(s.stepsPerEpoch, 16); },
    onEpoch: (e) => { epochs.push(e.epoch); t.true(e.rejectRate! >= 0 && e.rejectRate! <= 1); },
  });
  t.deepEqual(seen, [4, 8, 12, 4, 8, 12]);
  t.deepEqual(epochs, [1, 2]);
});

test('batches whose loss keeps falling along -g are rejected and counted', async (t) => {
  // Well-separated classes: after training, every batch's loss falls monotonically along -g.
  const data = blobs(256, 6, 3, 12, 8, 0.2);
  const trainer = new PoFTrainer({ model: mlp(), device });
  await trainer.fit(data, { epochs: 10, batchSize: 32, lr: 0.05, schedule: schedules.constant() });
  const before = await trainer.stateDict();
  const { history } = await trainer.postTrain(data, { epochs: 1, batchSize: 32, lr: 0.01 });
  t.is(history[0].rejectRate, 1);
  t.is(history[0].perturbation, 0);
  t.true(sameTensors(before, await trainer.stateDict(), trainer.model.parameterGroups.classifier));
});
