// The trainer's boundary (issue 12): each case a user or an attacker hit is a typed error naming what is
// wrong, the process lives on, and a running phase is never disturbed by a second call.
import test from 'ava';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import {
  analysis, BusyError, DatasetError, datasets, DisposedError, lineSearch, models, NonFiniteError, OptionError, PoFError, PoFTrainer,
  StateDict,
} from '../lib';
import { native } from '../lib/addon';
import { blobs, range, testDevice as device, tinyImages } from './helpers/synthetic';

const mlp = (inputDim = 6, numClasses = 3) => models.mlp({ inputDim, hidden: [8], numClasses });
const empty = () => datasets.fromArrays({ images: new Float32Array(0), labels: new Uint8Array(0), shape: [0, 6], numClasses: 3, name: 'none' });

function same(a: StateDict, b: StateDict): boolean {
  return Object.keys(a).every((k) => Buffer.from(a[k].data.buffer).equals(Buffer.from(b[k].data.buffer)));
}

test('an empty training set is a DatasetError in fit (SGD, SAM) and postTrain, not SIGFPE', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  for (const run of [() => trainer.fit(empty(), { epochs: 1, method: 'sgd' }), () => trainer.fit(empty(), { epochs: 1, method: 'sam' }),
    () => trainer.postTrain(empty(), { epochs: 1 })]) {
    const e = await t.throwsAsync(run(), { instanceOf: DatasetError, code: 'ERR_POF_DATASET' });
    t.regex(e!.message, /training data 'none' has 0 examples; expected at least 1/);
  }
  await t.throwsAsync(trainer.evaluate(empty()), { instanceOf: DatasetError, message: /evaluation data 'none' has 0 examples/ });
  // The native side refuses the same on its own (a hand-made Dataset skips the TS checks).
  const ds = new native.Dataset({ inputs: new Float32Array(0), shape: [0, 6], labels: new Uint8Array(0), numClasses: 3 });
  const engine = new native.Engine(new native.Model(mlp(), 0, 'cpu'), 0);
  await t.throwsAsync(async () => engine.evaluate(ds, 8), { code: 'ERR_POF_DATASET', message: /no examples/ });
});

test('numThreads(0) and a line search with initialStep 0 are option errors (no abort, no hang)', (t) => {
  t.throws(() => native.numThreads(0), { instanceOf: OptionError, message: /numThreads must be an integer in 1\.\.4096, got 0/ });
  const p = { features: new Float32Array(8), labels: Int32Array.from([0, 1]), weight: new Float32Array(8), bias: new Float32Array(2), numClasses: 2 };
  t.throws(() => lineSearch({ ...p, initialStep: 0 }), { instanceOf: OptionError, message: /initialStep must be > 0, got 0/ });
  t.throws(() => lineSearch({ ...p, partitions: 1e7 }), { instanceOf: OptionError, message: /partitions must be at most 1024/ });
  t.throws(() => lineSearch({ ...p, initialStep: 1e-300, maxStep: 1e300 }), { message: /at most 2\^64/ });
  t.true(Number.isFinite(lineSearch(p).loss));
});

test('evaluate during fit is refused with BusyError and the running fit goes on untouched', async (t) => {
  const data = blobs(64, 6, 3, 1);
  const reference = new PoFTrainer({ model: mlp(), device, seed: 4 });
  await reference.fit(data, { epochs: 3, batchSize: 16 });
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 4 });
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
  const reference = new PoFTrainer({ model: mlp(), device, seed: 5 });
  await reference.fit(data, { epochs: 3, batchSize: 16 });
  const trainer = new PoFTrainer({ model: mlp(), device, seed: 5 });
  const errors: number[] = [];
  await trainer.fit(data, {
    epochs: 3, batchSize: 16,
    onEpoch: async () => { errors.push((await trainer.evaluate(data)).error); },
  });
  t.is(errors.length, 3);
  t.true(same(await trainer.stateDict(), await reference.stateDict()));
});

test('data that does not fit the model is a DatasetError naming the dataset, the model and what was expected', async (t) => {
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 784, hidden: [16], numClasses: 10 }), device });
  const wrongShape = blobs(32, 100, 3, 1);
  const e = await t.throwsAsync(trainer.fit(wrongShape, { epochs: 1, batchSize: 16 }), { instanceOf: DatasetError });
  t.regex(e!.message, /training data 'blobs-1' has examples of shape \[100\] \(100 values\), but the model mlp \(inputDim 784.*takes 784 values/);
  t.notRegex(e!.message, /mat1 and mat2/);
  const labels = Int32Array.from({ length: 32 }, (_, i) => (i === 5 ? 17 : 0));
  const wrongLabels = datasets.fromArrays({ images: new Float32Array(32 * 784), labels, shape: [32, 784], numClasses: 20, name: 'twenty' });
  await t.throwsAsync(trainer.evaluate(wrongLabels), { instanceOf: DatasetError, message: /'twenty' has labels up to 17, but the model .* has 10 classes/ });
  const wrn = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 4, inputChannels: 1 }), device });
  await t.throwsAsync(wrn.evaluate(tinyImages(8, 1)), { instanceOf: DatasetError, message: /shape \[3, 8, 8\], but the model wideResNet-10-1 .* takes images \[1, H, W\]/ });
});

test('a hand-built model spec is validated like models.mlp / models.wideResNet', (t) => {
  t.throws(() => new PoFTrainer({ model: { kind: 'mlp', inputDim: -1, hidden: [4], numClasses: 2 } }), { instanceOf: OptionError, message: /inputDim must be >= 1, got -1/ });
  t.throws(() => new PoFTrainer({ model: { kind: 'wideResNet', depth: 10, widen: 1e6, numClasses: 2, inputChannels: 3 } }), { message: /widen must be at most 64/ });
  t.throws(() => new PoFTrainer({ model: { kind: 'resnet' } as never }), { message: /model kind "resnet" is unknown/ });
  t.throws(() => new PoFTrainer({ model: mlp(), device: 0 as never }), { instanceOf: OptionError, message: /device must be 'cpu', 'cuda' or 'cuda:N', got 0/ });
  // The native constructor checks the same on its own.
  t.throws(() => new native.Model({ kind: 'mlp', inputDim: 4, hidden: [-3], numClasses: 2 }, 0, 'cpu'), { code: 'ERR_POF_OPTION', message: /hidden\[0\] must be an integer/ });
});

test('sizes larger than the set, and windows larger than the image, are refused', async (t) => {
  const data = blobs(40, 6, 3, 1);
  const trainer = new PoFTrainer({ model: mlp(), device });
  await t.throwsAsync(trainer.fit(data, { epochs: 1 }), { instanceOf: OptionError, message: /batchSize \(256\) exceeds the 40 examples of training data 'blobs-1'/ });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 8, weakBatchSize: 64 }), { message: /weakBatchSize \(64\) exceeds the 40 examples/ });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 8, partitions: 1e7 }), { message: /partitions must be at most 1024/ });
  const images = new Uint8Array(4 * 3 * 8 * 8);
  t.throws(() => datasets.fromArrays({ images, labels: new Uint8Array(4), shape: [4, 3, 8, 8], numClasses: 2, augmentation: { cropPadding: 0, flip: false, cutout: 16 } }),
    { instanceOf: OptionError, message: /augmentation.cutout \(16\) must not exceed the image's smaller side \(8 pixels\)/ });
  t.throws(() => datasets.fromArrays({ images, labels: new Uint8Array(4), shape: [4, 3, 8, 8], numClasses: 2, augmentation: { cropPadding: 9, flip: true, cutout: 0 } }),
    { message: /cropPadding \(9\) must not exceed/ });
  t.throws(() => new native.Dataset({ inputs: images, shape: [4, 3, 8, 8], labels: new Uint8Array(4), numClasses: 2, cutout: 9 }), { code: 'ERR_POF_OPTION', message: /cutout must lie in 0\.\.8/ });
});

test('NaN weights and NaN inputs are errors naming the tensor or the first bad example', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const state = await trainer.stateDict();
  (state['layers.0.bias'].data as Float32Array)[2] = NaN;
  await t.throwsAsync(trainer.loadStateDict(state), { instanceOf: NonFiniteError, code: 'ERR_POF_NON_FINITE', message: /'layers\.0\.bias' holds NaN or infinite values/ });
  const x = new Float32Array(10 * 6);
  x[7 * 6 + 3] = NaN;
  x[8 * 6] = Infinity;
  const bad = datasets.fromArrays({ images: x, labels: new Uint8Array(10), shape: [10, 6], numClasses: 3 });
  await t.throwsAsync(trainer.evaluate(bad), { instanceOf: NonFiniteError, message: /inputs of example 7 \(of 2 such examples\) are NaN or infinite/ });
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

test('step() validates gamma, rho, unknown keys and the index arrays', async (t) => {
  const data = blobs(48, 6, 3, 1);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const base = { indices: range(16), weakIndices: range(16, 32) };
  await t.throwsAsync(trainer.step(data, { ...base, method: 'pof', gamma: -1 }), { instanceOf: OptionError, message: /gamma must be >= 0, got -1/ });
  await t.throwsAsync(trainer.step(data, { ...base, method: 'sam', rho: -0.1 }), { message: /rho must be >= 0/ });
  await t.throwsAsync(trainer.step(data, { ...base, method: 'sgd', lr: 0.1, epochs: 3 } as never), { message: /unknown option 'epochs'/ });
  await t.throwsAsync(trainer.step(data, { method: 'sgd', indices: Float32Array.from([0, 1]) as never }), { message: /indices must be a non-empty Int32Array.*Float32Array/ });
  await t.throwsAsync(trainer.step(data, { method: 'sgd', indices: Int32Array.from([0, 48]) }), { message: /indices must lie in 0\.\.47, got 48/ });
  await t.throwsAsync(trainer.step(data, { method: 'pof', indices: range(16) }), { message: /PoF needs weakIndices/ });
  await t.notThrowsAsync(trainer.step(data, { ...base, method: 'pof' }));
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

test('every error of the boundary is a PoFError with a stable code', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const errors = await Promise.all([
    trainer.fit(blobs(8, 6, 3, 1), { epochs: -1 }).catch((e) => e),
    trainer.evaluate(null as never).catch((e) => e),
    trainer.postTrain(blobs(8, 6, 3, 1), { gammaMode: 'cubic' as never }).catch((e) => e),
  ]);
  for (const e of errors) {
    t.true(e instanceof PoFError);
    t.is(e.code, 'ERR_POF_OPTION');
    t.true(e.isUserError);
  }
});

test('checkpoints record the thread count; resuming with another count warns that it is not bit-identical', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pof-threads-'));
  const data = blobs(32, 6, 3, 1);
  const file = path.join(dir, 'fit-epoch-1.safetensors');
  const trainer = new PoFTrainer({ model: mlp(), device });
  await trainer.fit(data, { epochs: 2, batchSize: 8, checkpoint: { dir } });
  const threads = native.numThreads();
  const info = await new PoFTrainer({ model: mlp(), device }).load(file);
  t.is(info.threads, threads);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => { if (w.name === 'PoFThreadsWarning') warnings.push(w); };
  process.on('warning', onWarning);
  native.numThreads(threads + 1);
  try {
    await new PoFTrainer({ model: mlp(), device }).fit(data, { resume: file });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    native.numThreads(threads);
    process.off('warning', onWarning);
  }
  t.is(warnings.length, 1);
  t.regex(warnings[0].message, new RegExp(`written with ${threads} LibTorch threads and this process runs ${threads + 1}`));
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
      const ds = new native.Dataset({ inputs: x, shape: [64, 6], labels: new Uint8Array(64), numClasses: 3 });
      const options = { method: 'sgd', batchSize: 8, rho: 0.05, gamma: 2, gammaMode: 'fixed', weakBatchSize: 8, featureReuse: false,
        initialStep: 1, maxStep: 100, partitions: 16, epoch: 0, totalEpochs: 1, reportEvery: 1 };
      const b = await engine.trainEpoch(ds, options, () => { throw new Error('native boom'); }).catch((e) => e.message);
      console.log(JSON.stringify([a, b]));
    })();`;
  const r = spawnSync(process.execPath, ['--force-node-api-uncaught-exceptions-policy=true', '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim()), ['boom', 'native boom']);
});
