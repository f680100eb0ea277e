// A run stopped after epoch k and resumed from its checkpoint ends bit-identical to the run that
// never stopped (CPU): weights, BN statistics, momentum buffers and generator state.
import test from 'ava';
import { existsSync } from 'fs';
import * as path from 'path';
import { CheckpointError, FitOptions, ImageSet, models, ModelSpec, OptionError, PoFTrainer, PostTrainOptions, schedules, TrainingResult } from '../lib';
import { loadSafetensors, saveSafetensors } from '../lib/checkpoint/safetensors';
import { tempDir } from './helpers/fixtures';
import { differingTensors } from './helpers/state-compare';
import { blobs, tinyImages } from './helpers/synthetic';

const device = 'cpu';
// Images through an MLP: the augmentation's draws (crop, flip, cutout) come from the engine generator too.
const imageMlp = () => models.mlp({ inputDim: 3 * 8 * 8, hidden: [24, 16], numClasses: 4 });
const wrn = () => models.wideResNet({ depth: 10, widen: 1, numClasses: 4 });

interface Case {
  label: string;
  model: () => ModelSpec;
  data: () => ImageSet;
  /** Run before the phase under test (PoF post-trains a fitted model). */
  prepare?: (trainer: PoFTrainer, data: ImageSet) => Promise<unknown>;
  run: (trainer: PoFTrainer, data: ImageSet, options: FitOptions & PostTrainOptions) => Promise<TrainingResult>;
}

const cases: Case[] = [
  {
    label: 'SGD (WideResNet: BN statistics, cosine schedule)', model: wrn, data: () => tinyImages(32, 11),
    run: (tr, d, o) => tr.fit(d, { method: 'sgd', batchSize: 8, lr: 0.05, schedule: schedules.cosine(), ...o }),
  },
  {
    label: 'SAM', model: imageMlp, data: () => tinyImages(64, 12),
    run: (tr, d, o) => tr.fit(d, { method: 'sam', rho: 0.05, batchSize: 16, lr: 0.05, schedule: schedules.multistep([3], 0.2), ...o }),
  },
  {
    label: 'PoF (uniform gamma, |B| != |B~|)', model: imageMlp, data: () => tinyImages(64, 13),
    prepare: (tr, d) => tr.fit(d, { epochs: 2, batchSize: 16, lr: 0.05, schedule: schedules.constant() }),
    run: (tr, d, o) => tr.postTrain(d, { batchSize: 16, weakBatchSize: 24, lr: 0.01, gamma: 3, gammaMode: 'uniform', ...o }),
  },
];

for (const c of cases) {
  test(`${c.label}: 2 epochs + checkpoint + a new trainer resuming 2 = 4 epochs straight, bit for bit`, async (t) => {
    const dir = tempDir('resume');
    const data = c.data();
    const straightFile = path.join(dir, 'straight.safetensors');
    const stopFile = path.join(dir, 'stopped.safetensors');
    const resumedFile = path.join(dir, 'resumed.safetensors');

    const straight = new PoFTrainer({ model: c.model(), device, seed: 1 });
    await c.prepare?.(straight, data);
    const full = await c.run(straight, data, { epochs: 4, checkpoint: { path: straightFile, every: 4 } });
    t.deepEqual(full.checkpoints, [straightFile]);

    // Stopped after epoch 2 by an abort between epochs; the checkpoint is written there.
    const stopped = new PoFTrainer({ model: c.model(), device, seed: 1 });
    await c.prepare?.(stopped, data);
    const controller = new AbortController();
    const first = await c.run(stopped, data, {
      epochs: 4, signal: controller.signal, checkpoint: { path: stopFile, every: 3 },
      onEpoch: (r) => { if (r.epoch === 2) controller.abort(); },
    });
    t.true(first.aborted);
    t.deepEqual(first.history.map((r) => r.epoch), [1, 2]);
    t.deepEqual(first.checkpoints, [stopFile]);

    // A fresh trainer with another seed: everything comes from the checkpoint.
    const resumed = new PoFTrainer({ model: c.model(), device, seed: 99 });
    const rest = await c.run(resumed, data, { resume: stopFile, checkpoint: { path: resumedFile, every: 4 } });
    t.deepEqual(rest.history.map((r) => r.epoch), [3, 4]);
    t.deepEqual(rest.history.map((r) => [r.loss, r.error, r.lr]), full.history.slice(2).map((r) => [r.loss, r.error, r.lr]));

    t.deepEqual(differingTensors(await resumed.stateDict(), await straight.stateDict()), [], 'model tensors');
    t.notDeepEqual(differingTensors(await stopped.stateDict(), await straight.stateDict()), [], 'the stopped run really stopped early');
    // The final checkpoints also hold the momentum buffers and the generator state: all identical.
    const a = await loadSafetensors(straightFile), b = await loadSafetensors(resumedFile);
    t.true(Object.keys(a.tensors).some((n) => n.endsWith('.momentum_buffer')));
    t.true('rng.engine_generator' in a.tensors);
    t.deepEqual(differingTensors(a.tensors, b.tensors), []);
    t.deepEqual(a.metadata, b.metadata);
  });
}

test('resume checks the file, the model, the phase, the data and the options before changing anything', async (t) => {
  const dir = tempDir('resume-errors');
  const data = blobs(64, 6, 3, 1);
  const spec = models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 });
  const trainer = new PoFTrainer({ model: spec, device, seed: 2 });
  const file = path.join(dir, 'fit.safetensors');
  await trainer.fit(data, { epochs: 2, batchSize: 16, lr: 0.05, checkpoint: { path: file } });
  const weightsOnly = path.join(dir, 'weights.safetensors');
  await trainer.save(weightsOnly);

  const other = new PoFTrainer({ model: spec, device, seed: 3 });
  const before = await other.stateDict();
  const base = { epochs: 4, batchSize: 16, lr: 0.05 };
  await t.throwsAsync(other.fit(data, { ...base, resume: path.join(dir, 'nope.safetensors') }), { instanceOf: CheckpointError, message: /nope\.safetensors does not exist/ });
  await t.throwsAsync(other.fit(data, { ...base, resume: weightsOnly }), { instanceOf: CheckpointError, message: /holds weights only/ });
  await t.throwsAsync(other.postTrain(data, { resume: file }), { instanceOf: CheckpointError, message: /was written during fit, not postTrain/ });
  await t.throwsAsync(other.fit(data, { ...base, lr: 0.1, resume: file }),
    { instanceOf: CheckpointError, message: /continues a run with different options: epochs 2 \(saved\) vs 4 \(given\), lr 0\.05 \(saved\) vs 0\.1 \(given\)/ });
  await t.throwsAsync(other.fit(blobs(64, 6, 3, 9), { resume: file }), { instanceOf: CheckpointError, message: /was trained on 'blobs-1' \(64 examples\), not 'blobs-9'/ });
  const wider = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [9], numClasses: 3 }), device });
  await t.throwsAsync(wider.fit(data, { resume: file }), { instanceOf: CheckpointError, message: /holds a model .*"hidden":\[8\].* but this trainer's model is .*"hidden":\[9\]/ });
  t.deepEqual(differingTensors(await other.stateDict(), before), [], 'failed resumes change nothing');

  // Options left out take the saved ones; at the saved epoch count there is nothing left to run.
  const done = await other.fit(data, { resume: file });
  t.deepEqual(done.history, []);
  t.deepEqual(differingTensors(await other.stateDict(), await trainer.stateDict()), []);
});

test('a training checkpoint whose metadata lies about its progress is a CheckpointError, not a finished or odd run', async (t) => {
  const dir = tempDir('resume-forged');
  const data = blobs(64, 6, 3, 1);
  const spec = models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 });
  const file = path.join(dir, 'fit.safetensors');
  await new PoFTrainer({ model: spec, device, seed: 2 }).fit(data, { epochs: 2, batchSize: 16, lr: 0.05, checkpoint: { path: file } });
  const saved = await loadSafetensors(file);
  t.like(saved.metadata, { epoch: '2', epochs: '2', method: 'sgd' });
  // The same tensors under other metadata (undefined: the key left out).
  const forged = async (name: string, changes: Record<string, string | undefined>) => {
    const metadata = Object.fromEntries(Object.entries({ ...saved.metadata, ...changes }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const out = path.join(dir, `${name}.safetensors`);
    await saveSafetensors(out, saved.tensors, metadata);
    return out;
  };
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['epoch-999', { epoch: '999' }, /epoch-999\.safetensors: metadata 'epoch' must be an integer in 0\.\.2 \(the phase's 'epochs'\), got '999'/],
    ['epoch-half', { epoch: '1.5' }, /metadata 'epoch' must be an integer >= 0, got '1\.5'/],
    ['epoch-negative', { epoch: '-1' }, /metadata 'epoch' must be an integer >= 0, got '-1'/],
    ['no-epochs', { epochs: undefined }, /a training checkpoint needs epochs; the file has none/],
    ['method-pof', { method: 'pof' }, /metadata 'method' must be 'sgd' or 'sam' for phase 'fit', got 'pof'/],
    ['method-adam', { method: 'adam' }, /metadata 'method' must be 'sgd' or 'sam' for phase 'fit', got 'adam'/],
    ['threads-0', { threads: '0' }, /metadata 'threads' must be an integer >= 1, got '0'/],
    ['dataset-size-0', { dataset_size: '0' }, /metadata 'dataset_size' must be an integer >= 1, got '0'/],
    ['options-array', { training_options: '[]' }, /metadata 'training_options' must be a JSON object of the phase's options, got \[\]/],
  ];
  const other = new PoFTrainer({ model: spec, device, seed: 3 });
  const before = await other.stateDict();
  for (const [name, changes, message] of cases) {
    const forgedFile = await forged(name, changes);
    await t.throwsAsync(other.fit(data, { resume: forgedFile }), { instanceOf: CheckpointError, code: 'ERR_POF_CHECKPOINT', message }, name);
    await t.throwsAsync(other.load(forgedFile), { instanceOf: CheckpointError, message }, `${name} (load)`);
  }
  t.deepEqual(differingTensors(await other.stateDict(), before), [], 'refused files change nothing');
  // The unforged file still resumes (as a finished run: 2 of 2 epochs).
  t.deepEqual((await other.fit(data, { resume: await forged('as-saved', {}) })).history, []);
});

test('a training checkpoint with a garbage generator state or a non-finite momentum buffer is a CheckpointError, changing nothing', async (t) => {
  const dir = tempDir('resume-tensors');
  const data = blobs(64, 6, 3, 1);
  const spec = models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 });
  const file = path.join(dir, 'fit.safetensors');
  await new PoFTrainer({ model: spec, device, seed: 2 }).fit(data, { epochs: 1, batchSize: 16, checkpoint: { path: file } });
  const saved = await loadSafetensors(file);
  const tampered = async (name: string, tensor: string, change: (data: Uint8Array | Float32Array) => void) => {
    const original = saved.tensors[tensor];
    const data = original.data.slice() as Uint8Array | Float32Array;
    change(data);
    const out = path.join(dir, `${name}.safetensors`);
    await saveSafetensors(out, { ...saved.tensors, [tensor]: { ...original, data } as typeof original }, saved.metadata);
    return out;
  };
  const momentum = 'optimizer.layers.0.weight.momentum_buffer';
  const cases: [string, string, (data: Uint8Array | Float32Array) => void, RegExp][] = [
    ['rng-garbage', 'rng.engine_generator', (d) => d.fill(0xff, 0, 64),
      /^fit: resume: .*rng-garbage\.safetensors: the generator state \(5056 bytes\) is not one a cpu generator takes: Invalid mt19937 state$/],
    ['rng-short', 'rng.engine_generator', (d) => d.fill(0), /rng-short\.safetensors: the generator state \(5056 bytes\) is not one a cpu generator takes/],
    ['momentum-nan', momentum, (d) => { d[5] = NaN; }, new RegExp(`optimizer entry '${momentum}' holds NaN at index 5; a momentum buffer must be finite`)],
    ['momentum-inf', momentum, (d) => { d[0] = -Infinity; }, /holds -Infinity at index 0/],
  ];
  const other = new PoFTrainer({ model: spec, device, seed: 3 });
  const before = await other.stateDict();
  for (const [name, tensor, change, message] of cases) {
    await t.throwsAsync(other.fit(data, { resume: await tampered(name, tensor, change) }), { instanceOf: CheckpointError, code: 'ERR_POF_CHECKPOINT', message }, name);
  }
  t.deepEqual(differingTensors(await other.stateDict(), before), [], 'refused files change nothing');
  t.deepEqual((await other.fit(data, { resume: file })).history, [], 'the file as saved resumes (as a finished run)');
});

test('the checkpoint option: every N epochs into a directory, at the end, and validated', async (t) => {
  const dir = path.join(tempDir('every'), 'nested', 'ckpt');
  const data = blobs(48, 6, 3, 2);
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 }), device });
  const result = await trainer.fit(data, { epochs: 5, batchSize: 16, lr: 0.05, checkpoint: { dir, every: 2 } });
  t.deepEqual(result.checkpoints, [2, 4, 5].map((e) => path.join(dir, `fit-epoch-${e}.safetensors`)));
  t.true(result.checkpoints.every((f) => existsSync(f)));
  const info = await trainer.load(result.checkpoints[0]);
  t.like(info, { kind: 'training', phase: 'fit', method: 'sgd', epoch: 2, epochs: 5, dataset: 'blobs-2' });

  const bad: [unknown, RegExp][] = [
    [{}, /checkpoint needs exactly one of path \(a file\) or dir/],
    [{ path: 'a', dir: 'b' }, /exactly one of path/],
    [{ dir, every: 0 }, /checkpoint\.every must be an integer >= 1, got 0/],
    [{ dir, often: 1 }, /unknown checkpoint option 'often'/],
    [{ path: path.join(dir, 'missing', 'x.safetensors') }, /the directory .*missing does not exist/],
    ['file.safetensors', /checkpoint must be \{ path or dir, every\? \}/],
  ];
  for (const [checkpoint, message] of bad) {
    await t.throwsAsync(trainer.fit(data, { epochs: 1, checkpoint: checkpoint as FitOptions['checkpoint'] }), { instanceOf: OptionError, message });
  }
  await t.throwsAsync(trainer.fit(data, { epochs: 1, resume: 3 as unknown as string }), { instanceOf: OptionError, message: /resume must be the path of a training checkpoint/ });
});
