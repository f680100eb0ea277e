// What `train` and `post-train` share: the run directory, the trainer, Ctrl-C, checkpoints every N epochs,
// resuming, and what is written at the end (the model, the final evaluation, the training-curves figure).
import * as fs from 'fs';
import type { LoadedData } from './dataset-flags';
import type { ModelSpec } from '../models';
import { trainingCurves, writeFigure } from '../plot';
import { EpochReport, PoFTrainer, TrainingResult } from '../trainer';
import { Flag, Flags, numberFlag, stringFlag } from './args';
import { epochLog } from './epoch-log';
import { RunDir } from './run-dir';

export const TRAINING_FLAGS: Record<string, Flag> = {
  'batch-size': { type: 'string', help: 'mini-batch size', default: '256' },
  momentum: { type: 'string', help: 'Nesterov momentum', default: '0.9' },
  'weight-decay': { type: 'string', help: 'L2 weight decay', default: '5e-4' },
  'checkpoint-every': { type: 'string', help: 'epochs between training checkpoints (OUT/checkpoint.safetensors)', default: '10' },
  resume: { type: 'string', help: 'continue the run in --out from this training checkpoint (e.g. OUT/checkpoint.safetensors)' },
};

export function trainingFlags(flags: Flags) {
  return {
    batchSize: numberFlag(flags, 'batch-size', 256, { integer: true, min: 1 }),
    momentum: numberFlag(flags, 'momentum', 0.9, { min: 0 }),
    weightDecay: numberFlag(flags, 'weight-decay', 5e-4, { min: 0 }),
  };
}

export interface TrainingRun {
  command: string;
  dir: RunDir;
  trainer: PoFTrainer;
  /** Options for fit / postTrain: reporting, evaluation, checkpoints, resume, Ctrl-C. */
  hooks: ReturnType<typeof epochLog> & { evalData: LoadedData['test']; checkpoint: { path: string; every: number }; resume?: string; signal: AbortSignal };
  stop(): void;
}

export async function startRun(flags: Flags, command: string, data: LoadedData, spec: ModelSpec, options: object,
  seed: number, device: string, extra: Record<string, unknown> = {}): Promise<TrainingRun> {
  const resume = stringFlag(flags, 'resume');
  if (resume !== undefined && !fs.existsSync(resume)) throw new Error(`--resume ${resume}: no such file`);
  const dir = new RunDir(stringFlag(flags, 'out')!, { overwrite: flags.force === true || resume !== undefined, keepMetrics: resume !== undefined });
  dir.writeJson(resume ? `config.resumed-${Date.now()}.json` : 'config.json', {
    command, dataset: data.dataset, dataDir: flags['data-dir'] ?? null, trainExamples: data.train.shape[0], testExamples: data.test.shape[0],
    model: spec, seed, device, options, resume: resume ?? null, ...extra, argv: process.argv.slice(2), started: new Date().toISOString(),
  });
  const trainer = new PoFTrainer({ model: spec, device, seed });
  const controller = new AbortController();
  const interrupt = () => {
    process.stderr.write('\nstopping at the next step (Ctrl-C again to quit at once)\n');
    process.off('SIGINT', interrupt);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  return {
    command, dir, trainer,
    hooks: {
      ...epochLog(command, dir), evalData: data.test, resume, signal: controller.signal,
      checkpoint: { path: dir.file('checkpoint.safetensors'), every: numberFlag(flags, 'checkpoint-every', 10, { integer: true, min: 1 }) },
    },
    stop: () => process.off('SIGINT', interrupt),
  };
}

export async function finishRun(run: TrainingRun, result: TrainingResult, data: LoadedData): Promise<void> {
  try {
    await writeResults(run, result, data);
  } finally {
    run.stop(); // a Ctrl-C until here lets the model and figures be written; a second one quits at once
  }
}

async function writeResults(run: TrainingRun, result: TrainingResult, data: LoadedData): Promise<void> {
  await writeTrainingCurves(run.dir);
  if (result.aborted) {
    console.error(`stopped; continue with --resume ${run.hooks.checkpoint.path} (the checkpoint of the last completed epoch)`);
    process.exitCode = 130;
    return;
  }
  const model = run.dir.file('model.safetensors');
  await run.trainer.save(model);
  // The last epoch was evaluated on the test split already (evalData); a run resumed at its end was not.
  const final = result.history[result.history.length - 1]?.eval ?? await run.trainer.evaluate(data.test);
  run.dir.writeJson('final.json', { error: final.error, loss: final.loss, examples: data.test.shape[0] });
  console.error(`wrote ${model}; test error ${final.error.toFixed(2)} %`);
  console.log(JSON.stringify({ error: final.error, loss: final.loss }));
}

/** Loss and error curves (training and test) of every epoch in metrics.jsonl, as figures/training.svg. */
async function writeTrainingCurves(dir: RunDir): Promise<void> {
  const file = dir.file('metrics.jsonl');
  if (!fs.existsSync(file)) return;
  const epochs: EpochReport[] = fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (epochs.length === 0) return;
  const series: { name: string; metric: 'loss' | 'error'; values: number[] }[] = [
    { name: 'training', metric: 'loss', values: epochs.map((e) => e.loss) },
    { name: 'training', metric: 'error', values: epochs.map((e) => e.error) },
  ];
  if (epochs.every((e) => e.eval)) {
    series.push({ name: 'test', metric: 'loss', values: epochs.map((e) => e.eval!.loss) },
      { name: 'test', metric: 'error', values: epochs.map((e) => e.eval!.error) });
  }
  await writeFigure(dir.figures, 'training', trainingCurves({ epochs: epochs.map((_, i) => i + 1), series, title: `${epochs[0].phase}: loss and error per epoch` }));
}
