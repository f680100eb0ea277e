import test from 'ava';
import { lineSearch, models, PoFTrainer, schedules } from '../lib';
import { native } from '../lib/addon';
import { blobs, range, testDevice as device, tinyImages } from './helpers/synthetic';

const mlp = () => models.mlp({ inputDim: 6, hidden: [16, 16], numClasses: 3 });
const wrn = () => models.wideResNet({ depth: 10, widen: 1, numClasses: 4 });

function close(a: number, b: number, rel = 1e-4): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

// One test at a time touches the process-wide sync counter.
test.serial('a training epoch makes no host synchronisation per step (SGD, SAM, PoF, PoF with feature reuse)', async (t) => {
  const images = (steps: number) => tinyImages(8 * steps, steps);  // with crop, flip and cutout on the device
  const trainer = new PoFTrainer({ model: wrn(), device, seed: 0 });
  const runs = [
    ['sgd', (d: ReturnType<typeof images>) => trainer.fit(d, { epochs: 1, batchSize: 8, lr: 0.01, method: 'sgd' })],
    ['sam', (d: ReturnType<typeof images>) => trainer.fit(d, { epochs: 1, batchSize: 8, lr: 0.01, method: 'sam' })],
    ['pof', (d: ReturnType<typeof images>) => trainer.postTrain(d, { epochs: 1, batchSize: 8 })],
    ['pof + reuse', (d: ReturnType<typeof images>) => trainer.postTrain(d, { epochs: 1, batchSize: 8, featureReuse: true })],
  ] as const;
  const short = images(2), long = images(6);
  for (const [, run] of runs) await run(short), await run(long);  // resident data, warm caches
  native.watchHostSyncs(true);
  try {
    for (const [name, run] of runs) {
      let before = native.hostSyncCount();
      await run(short);
      const two = native.hostSyncCount() - before;
      before = native.hostSyncCount();
      await run(long);
      const six = native.hostSyncCount() - before;
      t.is(six, two, `${name}: 4 more steps, ${six - two} more host syncs`);
      t.true(two <= 1, `${name}: ${two} host syncs in a 2-step epoch (only the end-of-epoch statistics read may sync)`);
    }
    // The watcher is live: an explicit host read is counted.
    const before = native.hostSyncCount();
    lineSearch({ features: new Float32Array([1, 0, 0, 1]), labels: new Int32Array([0, 1]), weight: new Float32Array(4),
      bias: new Float32Array(2), numClasses: 2 });
    t.true(native.hostSyncCount() > before, 'lineSearch() reads its results on the host and is counted');
  } finally {
    native.watchHostSyncs(false);
  }
});

test('with feature reuse, the line search runs on exactly the previous B~ features (one step stale)', async (t) => {
  const data = blobs(96, 6, 3, 5);
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 2 });
  await trainer.fit(data, { epochs: 2, batchSize: 16, lr: 0.05, schedule: schedules.constant() });
  const first = range(24), second = range(24, 48), weak = range(40, 50);
  const state0 = await trainer.stateDict();
  const weight = state0['classifiers.0.weight'].data as Float32Array, bias = state0['classifiers.0.bias'].data as Float32Array;
  const labelsOf = (idx: Int32Array) => Int32Array.from(idx, (i) => data.labels[i]);
  const search = async (idx: Int32Array) =>
    lineSearch({ features: await trainer.features(data, idx), labels: labelsOf(idx), weight, bias, numClasses: 3 });
  // The MLP has no BatchNorm, so evaluation-mode features equal the training-mode ones.
  const expected = await search(first);  // B~ of step 1 at phi0, the weights before step 1's update
  const step = { method: 'pof' as const, lr: 0.5, gamma: 2, featureReuse: true };
  await trainer.step(data, { ...step, indices: first, weakIndices: weak });
  const fresh = await search(first);      // the same examples at phi1: what a fresh pass would see
  const other = await search(second);     // step 2's own B~
  const reused = await trainer.step(data, { ...step, indices: second });
  t.false(expected.rejected);
  t.true(close(reused.xi, expected.xi, 1e-5), `xi* ${reused.xi} vs ${expected.xi} on step 1's B~ at phi0`);
  t.false(close(fresh.xi, expected.xi, 1e-3), `phi moved enough to tell stale from fresh (${fresh.xi} vs ${expected.xi})`);
  t.false(close(other.xi, expected.xi, 1e-3), `B~ of step 2 differs from step 1's (${other.xi})`);
  // The chain continues: step 3 reuses step 2's B~.
  const third = await trainer.step(data, { ...step, indices: range(24, 72) });
  t.true(Number.isFinite(third.xi));
});

test('feature reuse: gamma = 0 gives the same weights as fresh PoF; theta stays bit-identical', async (t) => {
  const data = blobs(128, 6, 3, 7);
  const run = async (featureReuse: boolean) => {
    const trainer = new PoFTrainer({ model: mlp(), device, seed: 4 });
    await trainer.postTrain(data, { epochs: 2, batchSize: 16, lr: 0.05, gamma: 0, featureReuse });
    return trainer.stateDict();
  };
  const [a, b] = await Promise.all([run(true), run(false)]);
  for (const name of Object.keys(a)) {
    t.deepEqual(Buffer.from(a[name].data.buffer), Buffer.from(b[name].data.buffer), name);
  }
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 4 });
  const before = await trainer.stateDict();
  const post = await trainer.postTrain(data, { epochs: 2, batchSize: 16, lr: 0.05, featureReuse: true });
  const after = await trainer.stateDict();
  for (const name of ['classifiers.0.weight', 'classifiers.0.bias']) {
    t.deepEqual(Buffer.from(after[name].data.buffer), Buffer.from(before[name].data.buffer), name);
  }
  t.true(post.history.every((h) => Number.isFinite(h.xi!) && h.steps === 8));
});

test('feature reuse: invalid combinations give errors naming what is wrong', async (t) => {
  const data = blobs(64, 6, 3, 1);
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 0 });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 16, weakBatchSize: 8, featureReuse: true }),
    { name: 'OptionError', message: /weakBatchSize must equal batchSize \(16\)/ });
  await t.throwsAsync(trainer.step(data, { method: 'pof', indices: range(16), featureReuse: true }),
    { message: /give weakIndices for this first step/ });
  await trainer.step(data, { method: 'pof', indices: range(16), weakIndices: range(16, 32), featureReuse: true });
  await t.throwsAsync(trainer.step(data, { method: 'pof', indices: range(16), weakIndices: range(16, 32), featureReuse: true }),
    { message: /do not give weakIndices/ });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, featureReuse: 'yes' as unknown as boolean }),
    { name: 'OptionError', message: /featureReuse/ });
});

test('performance options: channelsLast gives the same step; CUDA-only options refuse the CPU', async (t) => {
  const data = tinyImages(16, 3);
  const step = { method: 'sgd' as const, indices: range(16), lr: 0.1 };
  const plain = new PoFTrainer({ model: wrn(), device, seed: 1 });
  const nhwc = new PoFTrainer({ model: wrn(), device, seed: 1, performance: { channelsLast: true } });
  await plain.step(data, step);
  await nhwc.step(data, step);
  const a = await plain.stateDict(), b = await nhwc.stateDict();
  let worst = 0;
  for (const name of Object.keys(a)) {
    const x = a[name].data as Float32Array, y = b[name].data as Float32Array;
    if (!(x instanceof Float32Array)) continue;
    for (let i = 0; i < x.length; i += 1) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  t.true(worst < 1e-4, `largest weight difference ${worst}`);
  t.throws(() => new PoFTrainer({ model: mlp(), device, performance: { channelsLast: true } }), { message: /convolutional model/ });
  if (device === 'cpu') {
    t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { cudnnBenchmark: true } }), { message: /CUDA devices only/ });
    t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { autocast: 'bf16' } }), { message: /CUDA devices only/ });
  }
  t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { autocast: 'fp8' as 'bf16' } }), { name: 'OptionError' });
  t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { fast: true } as object }), { name: 'OptionError', message: /fast/ });
});

test.serial('the op profiler times PoF phases and ops; misuse gives errors', async (t) => {
  const data = tinyImages(16, 4);
  const trainer = new PoFTrainer({ model: wrn(), device, seed: 0 });
  await trainer.postTrain(data, { epochs: 1, batchSize: 8 });
  native.startOpProfile();
  t.throws(() => native.startOpProfile(), { message: /already running/ });
  await trainer.postTrain(data, { epochs: 1, batchSize: 8 });
  const p = native.stopOpProfile();
  t.throws(() => native.stopOpProfile(), { message: /no op profile is running/ });
  const byName = new Map(p.ops.map((o) => [o.name, o]));
  for (const phase of ['pof::features_of_B', 'pof::line_search_and_perturb', 'pof::forward_backward_on_B~', 'pof::optimizer_step']) {
    t.is(byName.get(phase)?.calls, 2, phase);
  }
  const conv = byName.get('aten::convolution');
  t.true(conv !== undefined && conv.calls > 0 && conv.selfMs >= 0 && conv.totalMs >= conv.selfMs);
  const phases = ['pof::features_of_B', 'pof::line_search_and_perturb', 'pof::forward_backward_on_B~', 'pof::optimizer_step']
    .reduce((a, n) => a + byName.get(n)!.totalMs, 0);
  t.true(phases <= p.wallMs, `phases ${phases} ms within the wall time ${p.wallMs} ms`);
});
