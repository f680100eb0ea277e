// The input pipeline goes with the weights: recorded by every checkpoint, taken by load, and data prepared
// otherwise (another normalisation or crop) refused by evaluate, fit and postTrain unless overridden.
import test from 'ava';
import * as path from 'path';
import { CheckpointError, models, OptionError, PoFTrainer } from '../lib';
import { loadSafetensors, saveSafetensors } from '../lib/checkpoint/safetensors';
import { describePipeline } from '../lib/data/input-pipeline';
import { tempDir } from './helpers/fixtures';
import { testDevice as device, tinyImages } from './helpers/synthetic';

const spec = () => models.mlp({ inputDim: 3 * 8 * 8, hidden: [16], numClasses: 4 });
const train = tinyImages(64, 1);
const test_ = tinyImages(32, 2);
const raw = { ...test_, normalization: undefined };  // the same pixels, x / 255 only

test('fit records the pipeline; evaluate refuses data normalised otherwise, naming both, unless overridden', async (t) => {
  const trainer = new PoFTrainer({ model: spec(), device, seed: 1 });
  t.is(trainer.inputPipeline, undefined);
  await trainer.fit(train, { epochs: 1, batchSize: 16 });
  t.deepEqual(trainer.inputPipeline, {
    kind: 'pixels', example: [3, 8, 8], normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, centerCrop: null,
    augmentation: { cropPadding: 2, flip: true, cutout: 4 },
  });
  t.is(describePipeline(trainer.inputPipeline!), 'pixels [3, 8, 8], (x/255 - mean [0.5, 0.5, 0.5]) / std [0.25, 0.25, 0.25], 2-pixel padded crop + flip + cutout 4');
  await t.throwsAsync(trainer.evaluate(raw), { instanceOf: OptionError, message: "evaluate: evaluation data 'tiny-2' is prepared otherwise than the weights were " +
    'trained on: normalisation: (x/255 - mean [0.5, 0.5, 0.5]) / std [0.25, 0.25, 0.25] recorded vs x/255, not normalised given; prepare it the ' +
    "same way (trainer.inputPipeline says how), or pass inputPipeline: 'override'" });
  const overridden = await trainer.evaluate(raw, { inputPipeline: 'override' });
  t.not(overridden.error, (await trainer.evaluate(test_)).error, 'the same pixels normalised otherwise give another answer');
  await t.throwsAsync(trainer.postTrain(raw, { epochs: 1, batchSize: 16 }), { instanceOf: OptionError, message: /^postTrain: training data 'tiny-2' is prepared otherwise/ });
  await t.throwsAsync(trainer.fit(train, { epochs: 1, batchSize: 16, evalData: raw }), { instanceOf: OptionError, message: /^fit: evaluation data \(evalData\) 'tiny-2' is prepared otherwise/ });
  // Fine-tuning on data prepared anew: overridden, the weights then belong to the new pipeline.
  await trainer.fit({ ...train, normalization: undefined }, { epochs: 1, batchSize: 16, inputPipeline: 'override' });
  t.is(trainer.inputPipeline!.normalization, null);
  await t.notThrowsAsync(trainer.evaluate(raw));
});

test('a checkpoint carries the pipeline to load; a forged one is a CheckpointError', async (t) => {
  const dir = tempDir('input-pipeline');
  const trainer = new PoFTrainer({ model: spec(), device, seed: 1 });
  await trainer.fit(train, { epochs: 1, batchSize: 16 });
  const file = path.join(dir, 'model.safetensors');
  await trainer.save(file);
  const other = new PoFTrainer({ model: spec(), device });
  const info = await other.load(file);
  t.deepEqual(info.pipeline, trainer.inputPipeline);
  t.deepEqual(other.inputPipeline, trainer.inputPipeline);
  await t.throwsAsync(other.evaluate(raw), { instanceOf: OptionError, message: /is prepared otherwise than the weights were trained on/ });
  const saved = await loadSafetensors(file);
  for (const [value, message] of [['{', /is not JSON/], ['{"kind":"images"}', /has kind "images"; expected pixels, values or tokens/],
    ['{"kind":"pixels","example":[3,8,8],"normalization":{"mean":[0.5],"std":[0]},"centerCrop":null,"augmentation":null}', /normalization as null or \{ mean, std \}/]] as const) {
    const forged = path.join(dir, 'forged.safetensors');
    await saveSafetensors(forged, saved.tensors, { ...saved.metadata, input_pipeline: value });
    await t.throwsAsync(other.load(forged), { instanceOf: CheckpointError, message });
  }
});
