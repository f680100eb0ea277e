// evaluate({ perClass: true }): each label's examples and error, counted on the device; each equals the
// error of that label's examples evaluated alone, they add up to the overall error, and they carry the
// data's class names (a prepared store's, an image folder's) when it has them.
import test from 'ava';
import * as path from 'path';
import { datasets, models, OptionError, PoFTrainer } from '../lib';
import { tempDir } from './helpers/fixtures';
import { writeStore } from './helpers/store-writer';
import { blobs, tinyImages } from './helpers/synthetic';

test('per-class errors equal each class evaluated alone and add up to the overall error', async (t) => {
  const data = blobs(120, 5, 4, 3, 0.7, 1.2);  // overlapping blobs: some errors in every class
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 5, hidden: [8], numClasses: 5 }), device: 'cpu', seed: 2 });
  await trainer.fit(data, { epochs: 2, batchSize: 20, lr: 0.05 });
  const overall = await trainer.evaluate(data);
  t.is(overall.perClass, undefined, 'only when asked');
  const r = await trainer.evaluate(data, { perClass: true });
  t.is(r.loss, overall.loss);
  t.is(r.error, overall.error);
  t.is(r.perClass!.length, 5, "the model's classes, a label with no examples included");
  t.deepEqual(r.perClass![4], { label: 4, examples: 0, error: NaN });
  let wrong = 0;
  for (const c of r.perClass!.slice(0, 4)) {
    const idx = [...data.labels.keys()].filter((i) => data.labels[i] === c.label);
    const alone = datasets.fromArrays({
      images: Float32Array.from(idx.flatMap((i) => [...data.images.subarray(i * 5, i * 5 + 5)])),
      labels: Int32Array.from(idx.map(() => c.label)), shape: [idx.length, 5], numClasses: 5,
    });
    t.is(c.examples, idx.length);
    t.is(c.error, (await trainer.evaluate(alone)).error, `class ${c.label}`);
    wrong += (c.error * c.examples) / 100;
  }
  t.true(r.perClass!.some((c) => c.error > 0 && c.error < 100), 'a class with some errors, not all');
  t.true(Math.abs((100 * wrong) / data.shape[0] - r.error) < 1e-9);
  await t.throwsAsync(trainer.evaluate(data, { perClass: 'yes' as never }), { instanceOf: OptionError, message: /^evaluate: perClass must be true or false, got 'yes'$/ });
});

test("per-class results carry a prepared store's class names", async (t) => {
  const store = await datasets.prepared(writeStore(path.join(tempDir('per-class'), 'store'), tinyImages(16, 4)));
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 3 * 8 * 8, hidden: [8], numClasses: 4 }), device: 'cpu', seed: 1 });
  const r = await trainer.evaluate(store, { perClass: true });
  t.deepEqual(r.perClass!.map((c) => [c.label, c.name, c.examples]), [[0, 'class-0', 4], [1, 'class-1', 4], [2, 'class-2', 4], [3, 'class-3', 4]]);
});
