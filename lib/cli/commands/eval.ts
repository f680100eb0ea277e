import { DEFAULTS, RULES } from '../../defaults';
import { PoFTrainer } from '../../trainer';
import { Command, numberFlag } from '../args';
import { checkFromFlags, FROM_FLAGS, startingModel } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG } from '../common-flags';
import { DATASET_FLAGS, loadDatasetFlags } from '../dataset-flags';
import { cliJob } from '../job';

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
  dataParallel: true,
  async run(flags) {
    const batchSize = numberFlag(flags, 'batch-size', DEFAULTS.evalBatchSize, RULES.batchSize);
    const device = deviceFlag(flags);
    checkFromFlags(flags);
    const data = await loadDatasetFlags(flags);
    const start = await startingModel(flags, data.train);
    const job = cliJob();
    const trainer = new PoFTrainer({ model: start.spec, device, distributed: job.distributed });
    await start.load(trainer);
    const r = await trainer.evaluate(data.test, { batchSize });  // under torchrun: each rank a part of the set
    if (job.leader) console.log(JSON.stringify({ error: r.error, loss: r.loss }));
  },
};
