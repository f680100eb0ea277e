// Real data end to end: the Fashion-MNIST reader feeds the trainer, with the paper's augmentation, and it learns.
import test from 'ava';
import { datasets, models, PoFTrainer, schedules } from '../lib';
import { fashionMnistDir, withFashionMnist } from './helpers/shared-data';
import { testDevice } from './helpers/synthetic';

withFashionMnist('two epochs of SGD on Fashion-MNIST learn, and a PoF epoch after it keeps what was learned', async (t) => {
  const { train, test: held } = await datasets.fashionMnist(fashionMnistDir);
  t.deepEqual(train.augmentation, { cropPadding: 4, flip: true, cutout: 0 });
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 784, hidden: [128], numClasses: 10 }), device: testDevice, seed: 0 });
  const before = await trainer.evaluate(held);
  await trainer.fit(train, { method: 'sgd', epochs: 2, batchSize: 128, lr: 0.05, schedule: schedules.constant() });
  const sgd = await trainer.evaluate(held);
  await trainer.postTrain(train, { epochs: 1, batchSize: 128 }); // the paper's lr 3e-5, gamma 2
  const pof = await trainer.evaluate(held);
  t.log(`test error: untrained ${before.error.toFixed(2)} %, SGD 2 epochs ${sgd.error.toFixed(2)} %, then PoF 1 epoch ${pof.error.toFixed(2)} %`);
  t.is(sgd.examples, 10000);
  t.true(before.error > 60, 'an untrained model is near chance (90 %)');
  t.true(sgd.error < 30, `chance is 90 %; two epochs reach ${sgd.error.toFixed(2)} %`);
  t.true(pof.error < 30, `after PoF: ${pof.error.toFixed(2)} %`);
});
