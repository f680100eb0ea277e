// Post-training that goes wrong says so: ξ* rising 3 epochs in a row while the held-out error rises.
import test from 'ava';
import { models, OptionError, PoFTrainer } from '../lib';
import { divergence } from '../lib/trainer/divergence';
import type { EpochReport } from '../lib/trainer/types';
import { blobs, testDevice as device } from './helpers/synthetic';
import { tempDir } from './helpers/fixtures';
import * as path from 'path';

const epoch = (n: number, xi: number, error: number, partial = false) =>
  ({ phase: 'postTrain', epoch: n, epochs: 10, lr: 1, loss: 1, error: 0, steps: 1, stepsPerEpoch: 1, partial, seconds: 0, xi, perturbation: 1, rejectRate: 0,
    eval: { loss: 1, error } }) as EpochReport;

test('divergence: three rises of ξ* with the held-out error up overall; not with a flat error, a dip in ξ*, or too few epochs', (t) => {
  t.regex(divergence([epoch(1, 0.1, 5), epoch(2, 0.2, 5), epoch(3, 0.4, 4), epoch(4, 0.8, 6)])!,
    /^ξ\* rose for 3 epochs in a row \(0\.100 → 0\.200 → 0\.400 → 0\.800, epochs 1–4\) while the held-out error rose from 5\.00 % to 6\.00 %/);
  t.is(divergence([epoch(1, 0.1, 5), epoch(2, 0.2, 5), epoch(3, 0.4, 5), epoch(4, 0.8, 5)]), undefined, 'the error did not rise');
  t.is(divergence([epoch(1, 0.1, 5), epoch(2, 0.3, 6), epoch(3, 0.2, 7), epoch(4, 0.8, 8)]), undefined, 'ξ* fell once');
  t.is(divergence([epoch(1, 0.1, 5), epoch(2, 0.2, 6), epoch(3, 0.4, 7)]), undefined, 'three epochs are two rises');
  t.is(divergence([epoch(1, 0.1, 5), epoch(2, 0.2, 6), epoch(3, 0.4, 7), epoch(4, 0.8, 8, true)]), undefined, 'a partial epoch does not count');
  const noEval = [1, 2, 3, 4].map((n) => ({ ...epoch(n, n, n), eval: undefined }) as EpochReport);
  t.is(divergence(noEval), undefined, 'without evalData there is no held-out error to watch');
});

/** A trained MLP post-trained at lr 0.2 on well-separated blobs: ξ* 0.53 → 0.58 → 0.94 → 1.33 over epochs 4–7, the error 0 → 2.3 %. */
async function postTrainAt(onDivergence?: 'warn' | 'stop' | 'ignore') {
  const train = blobs(256, 6, 3, 1);
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [32], numClasses: 3 }), device, seed: 1 });
  await trainer.fit(train, { epochs: 20, batchSize: 32, lr: 0.1 });
  const warnings: string[] = [];
  const listen = (w: Error) => { if (w.name === 'PoFDivergenceWarning') warnings.push(w.message); };
  process.on('warning', listen);
  try {
    const result = await trainer.postTrain(train, { epochs: 8, batchSize: 32, lr: 0.2, evalData: blobs(128, 6, 3, 2), onDivergence });
    await new Promise((resolve) => setImmediate(resolve));  // warnings are emitted on the next tick
    return { result, warnings };
  } finally {
    process.off('warning', listen);
  }
}

test.serial('a diverging post-training warns once (default), stops after the epoch with stop, and says nothing with ignore', async (t) => {
  const warned = await postTrainAt();
  t.is(warned.result.history.length, 8);
  t.is(warned.result.stopped, undefined);
  t.is(warned.warnings.length, 1);
  t.regex(warned.warnings[0], /^postTrain: ξ\* rose for 3 epochs in a row \(.*, epochs 4–7\) while the held-out error rose from/);
  const stopped = await postTrainAt('stop');
  t.is(stopped.result.history.length, 7);
  t.regex(stopped.result.stopped!, /^ξ\* rose for 3 epochs in a row/);
  t.is((await postTrainAt('ignore')).warnings.length, 0);
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [4], numClasses: 3 }), device });
  await t.throwsAsync(trainer.postTrain(blobs(32, 6, 3, 1), { onDivergence: 'halt' as never }), { instanceOf: OptionError, message: /postTrain: onDivergence must be one of 'warn', 'stop', 'ignore', got 'halt'/ });
});

test.serial('keepBest ends with the weights of the epoch of lowest held-out error, and needs evalData', async (t) => {
  const train = blobs(256, 6, 3, 1);
  const held = blobs(128, 6, 3, 2);
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [32], numClasses: 3 }), device, seed: 1 });
  await trainer.fit(train, { epochs: 20, batchSize: 32, lr: 0.1 });
  // The diverging run above: its error is lowest early and 2.3 % at the end.
  const r = await trainer.postTrain(train, { epochs: 8, batchSize: 32, lr: 0.2, evalData: held, keepBest: true, onDivergence: 'ignore' });
  const errors = r.history.map((e) => e.eval!.error);
  const lowest = Math.min(...errors);
  t.true(errors[errors.length - 1] > lowest, `the last epoch is not the best: ${errors}`);
  t.deepEqual(r.best, { epoch: errors.indexOf(lowest) + 1, error: lowest, restored: true });
  t.is((await trainer.evaluate(held)).error, lowest, 'the trainer holds the best epoch\'s weights');
  await t.throwsAsync(trainer.save(path.join(tempDir('keep-best'), 'x.safetensors'), { training: true }), { instanceOf: OptionError, message: /no phase at an epoch boundary/ });
  await t.throwsAsync(trainer.postTrain(train, { epochs: 1, keepBest: true }), { instanceOf: OptionError, message: /^postTrain: keepBest needs evalData/ });
});
