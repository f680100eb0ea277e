// The trainer's lifecycle: while a phase runs a second call is refused (BusyError) and the phase goes
// on undisturbed; callbacks run between steps and epochs, and one that throws rejects the phase;
// dispose frees the trainer.
import test from 'ava';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { analysis, BusyError, DisposedError, ImageSet, PoFTrainer, StateDict } from '../lib';
import { smallMlp as mlp } from './helpers/small-models';
import { blobs, testDevice as device } from './helpers/synthetic';

function same(a: StateDict, b: StateDict): boolean {
  return Object.keys(a).every((k) => Buffer.from(a[k].data.buffer).equals(Buffer.from(b[k].data.buffer)));
}

/** A 3-epoch fit nobody disturbs, and a fresh trainer of the same seed to disturb. */
async function undisturbedAndFresh(data: ImageSet, seed: number) {
  const reference = new PoFTrainer({ model: mlp(), device, seed });
  await reference.fit(data, { epochs: 3, batchSize: 16 });
  return { reference, trainer: new PoFTrainer({ model: mlp(), device, seed }) };
}

test('evaluate during fit is refused with BusyError and the running fit goes on untouched', async (t) => {
  const data = blobs(64, 6, 3, 1);
  const { reference, trainer } = await undisturbedAndFresh(data, 4);
  const refused: unknown[] = [];
  const fit = trainer.fit(data, {
    epochs: 3, batchSize: 16, reportEvery: 1,
    onStep: () => { trainer.evaluate(data).catch((e) => refused.push(e)); },
  });
  // Called before fit's first step: it runs on the weights before the phase, which waits for it.
  const before = await trainer.evaluate(data);
  t.is(before.examples, 64);
  await t.throwsAsync(trainer.fit(data, { epochs: 1 }), { instanceOf: BusyError, message: /running fit/ });
  await t.throwsAsync(trainer.loadStateDict(await reference.stateDict()), { instanceOf: BusyError });
  const result = await fit;
  t.is(result.history.length, 3);
  t.is(refused.length, 9, "one refused evaluation per report: 3 epochs x 3 reports (none after an epoch's last step)");
  t.true(refused.every((e) => e instanceof BusyError && (e as BusyError).code === 'ERR_POF_BUSY'));
  t.true(same(await trainer.stateDict(), await reference.stateDict()), 'the same weights as a run nobody disturbed');
});

test('evaluate and save from onEpoch run between epochs; the phase resumes after them, bit-identical', async (t) => {
  const data = blobs(64, 6, 3, 2);
  const { reference, trainer } = await undisturbedAndFresh(data, 5);
  const errors: number[] = [];
  await trainer.fit(data, {
    epochs: 3, batchSize: 16,
    onEpoch: async () => { errors.push((await trainer.evaluate(data)).error); },
  });
  t.is(errors.length, 3);
  t.true(same(await trainer.stateDict(), await reference.stateDict()));
});

test('a throwing onStep or onEpoch rejects the phase with that error; the trainer stays usable', async (t) => {
  const data = blobs(64, 6, 3, 3);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const boom = new Error('boom in onStep');
  let steps = 0;
  const e = await t.throwsAsync(trainer.fit(data, { epochs: 2, batchSize: 8, reportEvery: 1, onStep: () => { steps += 1; throw boom; } }));
  t.is(e, boom);
  t.is(steps, 1, 'the callback is not called again once it threw');
  await t.throwsAsync(trainer.postTrain(data, { epochs: 2, batchSize: 8, onEpoch: async () => { throw new Error('boom in onEpoch'); } }), { message: 'boom in onEpoch' });
  const after = await trainer.evaluate(data);
  t.true(Number.isFinite(after.loss));
  await t.notThrowsAsync(trainer.fit(data, { epochs: 1, batchSize: 8 }));
});

test('dispose frees the trainer at once; later calls are DisposedError, and it is refused while a phase runs', async (t) => {
  const data = blobs(64, 6, 3, 1);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const fit = trainer.fit(data, { epochs: 2, batchSize: 8 });
  t.throws(() => trainer.dispose(), { instanceOf: BusyError });
  await fit;
  trainer.dispose();
  trainer.dispose();  // idempotent
  await t.throwsAsync(trainer.fit(data, { epochs: 1, batchSize: 8 }), { instanceOf: DisposedError, code: 'ERR_POF_DISPOSED' });
  await t.throwsAsync(trainer.evaluate(data), { instanceOf: DisposedError });
  t.throws(() => trainer.model, { instanceOf: DisposedError });
  await t.throwsAsync(analysis.hessianTopK(trainer, data, { subset: 'classifier', k: 1 }), { instanceOf: DisposedError });
});

test("a throwing progress callback rejects the epoch under Node's strict uncaught-exception policy too", (t) => {
  // --force-node-api-uncaught-exceptions-policy=true is Node's announced default: an exception left in a
  // Node-API callback kills the process. Both the trainer's onStep and the raw native callback are tried.
  const lib = path.resolve(__dirname, '..', 'lib');
  const script = `
    const { PoFTrainer, models, datasets } = require(${JSON.stringify(lib)});
    const { native } = require(${JSON.stringify(path.join(lib, 'addon'))});
    const x = new Float32Array(64 * 6).map((_, i) => (i % 7) / 7);
    const data = datasets.fromArrays({ images: x, labels: new Uint8Array(64).map((_, i) => i % 3), shape: [64, 6], numClasses: 3 });
    (async () => {
      const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 }) });
      const a = await trainer.fit(data, { epochs: 1, batchSize: 8, reportEvery: 1, onStep: () => { throw new Error('boom'); } }).catch((e) => e.message);
      const engine = new native.Engine(new native.Model({ kind: 'mlp', inputDim: 6, hidden: [8], numClasses: 3 }, 0, 'cpu'), 0);
      engine.configureOptimizer({ featuresOnly: false, lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: true });
      const ds = new native.Dataset({ kind: 'values', inputs: x, shape: [64, 6], labels: new Uint8Array(64), numClasses: 3, mean: [0], std: [1],
        cropPadding: 0, flip: false, cutout: 0, device: 'cpu' });
      const options = { method: 'sgd', batchSize: 8, rho: 0.05, gamma: 2, gammaMode: 'fixed', weakBatchSize: 8, featureReuse: false,
        initialStep: 1, maxStep: 100, partitions: 16, epoch: 0, totalEpochs: 1, reportEvery: 1 };
      const b = await engine.trainEpoch(ds, options, () => { throw new Error('native boom'); }).catch((e) => e.message);
      console.log(JSON.stringify([a, b]));
    })();`;
  const r = spawnSync(process.execPath, ['--force-node-api-uncaught-exceptions-policy=true', '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim()), ['boom', 'native boom']);
});

test('an async onStep that rejects fails the phase with its error (no unhandled rejection), and one that resolves is awaited', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const data = blobs(64, 6, 3, 1);
  const rejected = await t.throwsAsync(trainer.fit(data, { epochs: 2, batchSize: 8, reportEvery: 1,
    onStep: async (r) => { if (r.step >= 2) throw new Error('async boom'); } }));
  t.is(rejected!.message, 'async boom');
  let started = 0;
  let done = 0;
  await trainer.fit(data, { epochs: 1, batchSize: 8, reportEvery: 1,
    onStep: async () => { started += 1; await new Promise((resolve) => setTimeout(resolve, 5)); done += 1; } });
  t.true(started > 0);
  t.is(done, started);
});
