import { DEFAULTS } from '../../defaults';
import { Command, numberFlag } from '../args';
import { checkFromFlags, FROM_FLAGS, startingModel } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG } from '../common-flags';
import { DATASET_FLAGS, loadDatasetFlags } from '../dataset-flags';

export const evalCommand: Command = {
  name: 'eval',
  brief: 'test error and loss of a trained model, as JSON',
  summary: 'Evaluates a trained model on the test split; prints JSON { "error": <percent>, "loss": <mean cross-entropy> }.',
  flags: {
    ...FROM_FLAGS,
    ...DATASET_FLAGS,
    'batch-size': { type: 'string', help: 'evaluation batch size', default: String(DEFAULTS.evalBatchSize) },
    ...DEVICE_FLAG,
  },
  async run(flags) {
    const batchSize = numberFlag(flags, 'batch-size', DEFAULTS.evalBatchSize, { integer: true, min: 1 });
    const device = deviceFlag(flags);
    checkFromFlags(flags);
    const data = await loadDatasetFlags(flags);
    const start = await startingModel(flags, data.train);
    const { PoFTrainer } = await import('../../trainer');
    const trainer = new PoFTrainer({ model: start.spec, device });
    await start.load(trainer);
    const r = await trainer.evaluate(data.test, { batchSize });
    console.log(JSON.stringify({ error: r.error, loss: r.loss }));
  },
};
