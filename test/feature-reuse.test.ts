// Feature reuse (PoF's B taken from the previous iteration's B~): the line search sees exactly the
// stale features, θ is untouched, and invalid combinations are named.
import test from 'ava';
import { lineSearch, PoFTrainer, schedules } from '../lib';
import { twoLayerMlp as mlp } from './helpers/small-models';
import { blobs, range, testDevice as device } from './helpers/synthetic';

function close(a: number, b: number, rel = 1e-4): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

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
