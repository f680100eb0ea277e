import { DEFAULTS, RULES } from '../../defaults';
import { PoFTrainer } from '../../trainer';
import type { ClassEvaluation } from '../../trainer/types';
import { Command, numberFlag } from '../args';
import { checkFromFlags, FROM_FLAGS, pipelineOverride, recordedPipeline, startingModel } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG } from '../common-flags';
import { DATA_FLAGS, dataChoice, loadDataFlags } from '../data-flags';
import { cliJob } from '../job';

export const evalCommand: Command = {
  name: 'eval',
  brief: 'test error and loss of a trained model, as JSON',
  summary: 'Evaluates a trained model on the test split; prints JSON { "error": <percent>, "loss": <mean cross-entropy> }, ' +
    'with --per-class also "perClass": [{ "label", "name" (when the data names its classes), "examples", "error" }], each class ' +
    'printed as a line on stderr. With --data, give the data flags train was given (the same held-out split, normalisation and crop).',
  flags: {
    ...FROM_FLAGS,
    ...DATA_FLAGS,
    'batch-size': { type: 'string', help: 'evaluation batch size', default: String(DEFAULTS.evalBatchSize) },
    'per-class': { type: 'boolean', help: 'also each class\'s examples and error' },
    ...DEVICE_FLAG,
  },
  dataParallel: true,
  async run(flags) {
    dataChoice(flags, 'eval');
    const batchSize = numberFlag(flags, 'batch-size', DEFAULTS.evalBatchSize, RULES.batchSize);
    const perClass = flags['per-class'] === true;
    const device = deviceFlag(flags);
    checkFromFlags(flags);
    const data = await loadDataFlags(flags, 'eval', await recordedPipeline(flags));
    const start = await startingModel(flags, data.train);
    const job = cliJob();
    const trainer = new PoFTrainer({ model: start.spec, device, distributed: job.distributed });
    await start.load(trainer);
    const r = await trainer.evaluate(data.test, { batchSize, perClass, ...pipelineOverride(flags) });  // under torchrun: each rank a part of the set
    if (!job.leader) return;
    if (r.perClass) printPerClass(r.perClass);
    console.log(JSON.stringify({ error: r.error, loss: r.loss, ...(r.perClass ? { perClass: r.perClass } : {}) }));
  },
};

/** One line per class on stderr: label, name, examples, error. */
function printPerClass(classes: ClassEvaluation[]): void {
  const width = Math.max(5, ...classes.map((c) => (c.name ?? '').length));
  console.error(`${'label'.padStart(5)}  ${'class'.padEnd(width)}  ${'examples'.padStart(8)}  error %`);
  for (const c of classes) {
    const error = c.examples === 0 ? '-' : c.error.toFixed(2);
    console.error(`${String(c.label).padStart(5)}  ${(c.name ?? '').padEnd(width)}  ${String(c.examples).padStart(8)}  ${error.padStart(7)}`);
  }
}
