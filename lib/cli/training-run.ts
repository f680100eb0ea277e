// What `train` and `post-train` share: the run directory, the trainer, Ctrl-C, checkpoints every N epochs,
// resuming, and what is written at the end (the model, the final evaluation, the training-curves figure).
import { DeviceName, DEFAULTS, RULES } from '../defaults';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { fileError } from '../errors';
import type { CliData } from './data-flags';
import { describePipeline, pipelineOf } from '../data/input-pipeline';
import type { ModelSpec } from '../models';
import { trainingCurves, writeFigure } from '../plot';
import { EventWriter, pngImage, tagOf } from '../tensorboard';
import { PoFTrainer, TrainingResult } from '../trainer';
import { Flag, Flags, numberFlag, stringFlag } from './args';
import { seedFlag } from './common-flags';
import { epochLog } from './epoch-log';
import { cliJob } from './job';
import { completeEpochs, readMetrics, truncateMetrics } from './metrics-log';
import { resumePoint } from './resume-flag';
import { prepareOutputDir } from './output-dir';
import { RunDir } from './run-dir';
import { truncateScalars } from './scalars-csv';

export const TRAINING_FLAGS: Record<string, Flag> = {
  'batch-size': { type: 'string', help: 'mini-batch size', default: String(DEFAULTS.batchSize) },
  momentum: { type: 'string', help: 'Nesterov momentum', default: String(DEFAULTS.momentum) },
  'weight-decay': { type: 'string', help: 'L2 weight decay', default: String(DEFAULTS.weightDecay) },
  'checkpoint-every': { type: 'string', help: 'epochs between training checkpoints (OUT/checkpoint.safetensors)', default: '10' },
  resume: { type: 'string', help: 'continue the run in --out from this training checkpoint (e.g. OUT/checkpoint.safetensors); ' +
    'auto: from OUT/checkpoint.safetensors when it exists, else start (or restart) the run (for torchrun --max-restarts)' },
};

export function trainingFlags(flags: Flags) {
  return {
    batchSize: numberFlag(flags, 'batch-size', DEFAULTS.batchSize, RULES.batchSize),
    momentum: numberFlag(flags, 'momentum', DEFAULTS.momentum, RULES.momentum),
    weightDecay: numberFlag(flags, 'weight-decay', DEFAULTS.weightDecay, RULES.weightDecay),
  };
}

export interface TrainingRun {
  command: string;
  dir: RunDir;
  trainer: PoFTrainer;
  /** Options for fit / postTrain: reporting, evaluation, checkpoints, resume, Ctrl-C. */
  hooks: ReturnType<typeof epochLog> & { evalData: CliData['test']; checkpoint: { path: string; every: number }; resume?: string;
    signal: AbortSignal; tensorboard: string };
  stop(): void;
  /**
   * What config.json records (a command may add to it until the run is committed, e.g. post-train's
   * evaluation before PoF); on resume, the resumed run's own record (config.resumed-*.json).
   */
  config: Record<string, unknown>;
  /** What the run's first config.json recorded: the run's own config on resume (undefined for a fresh run). */
  original?: Record<string, unknown>;
  /**
   * Records the run once the trainer has accepted it (its first epoch, or its end): config.json, or for a
   * resumed run its metrics trimmed to the checkpoint. A command refused before that leaves no config.json,
   * so the corrected command needs no --force. Idempotent.
   */
  commit(): Promise<void>;
}

/** What the flags say about the run directory, checked before the data is read. */
export interface RunFlags {
  out: string;
  force: boolean;
  checkpointEvery: number;
  /** --seed when given (a resumed run keeps its own). */
  seed?: number;
  resume?: string;
}

/** The run flags of `train` / `post-train`; --out is checked (and created) here, before any work. */
export function runFlags(flags: Flags): RunFlags {
  const out = stringFlag(flags, 'out')!;
  const checked = {
    out, force: flags.force === true, checkpointEvery: numberFlag(flags, 'checkpoint-every', 10, { integer: true, min: 1 }),
    seed: flags.seed === undefined ? undefined : seedFlag(flags), resume: stringFlag(flags, 'resume'),
  };
  prepareOutputDir(out);
  return checked;
}

/**
 * The run directory and trainer of `train` / `post-train`. --resume is checked against the run before anything
 * is written; a resumed run changes its directory only once the trainer accepts the checkpoint.
 */
export async function startRun(flags: RunFlags, command: string, data: CliData, spec: ModelSpec, options: object,
  device: DeviceName, extra: Record<string, unknown> = {}): Promise<TrainingRun> {
  const out = flags.out;
  // --resume auto: the same command starts a run and, restarted after a failure, continues it.
  const auto = flags.resume === 'auto';
  const latest = path.join(out, 'checkpoint.safetensors');
  const from = auto ? (existsSync(latest) ? latest : undefined) : flags.resume;
  const resume = from === undefined ? undefined : await resumePoint(from, out, flags.seed);
  const seed = resume?.seed ?? flags.seed ?? 0;
  const job = cliJob();
  // A device this build lacks fails before --out holds a run. Under torchrun, this process is one rank.
  const trainer = new PoFTrainer({ model: spec, device, seed, distributed: job.distributed });
  const dir = new RunDir(out, { overwrite: flags.force || auto || resume !== undefined, keepMetrics: resume !== undefined, follower: !job.leader });
  const config: Record<string, unknown> = {
    command, dataset: data.dataset, dataDir: data.dataDir ?? null, trainExamples: data.train.shape[0], testExamples: data.test.shape[0],
    ...(data.classes ? { classes: data.classes } : {}), ...(data.record ? { data: data.record } : {}), model: spec, seed, device, options, resume: resume?.file ?? null, ...extra, argv: process.argv.slice(2), started: new Date().toISOString(),
    ...(trainer.job ? { worldSize: trainer.job.worldSize } : {}),
  };
  const pipeline = pipelineOf(data.train);
  config.pipeline = pipeline;
  let committed = false;
  const commit = async () => {
    if (committed) return;
    committed = true;
    if (!dir.writes) return;
    // The run's header: how its inputs are prepared (they belong to the model it writes).
    console.error(`${command}: inputs ${describePipeline(pipeline)}`);
    if (!resume) {
      await dir.writeJson('config.json', config);
      return;
    }
    await truncateMetrics(dir.file('metrics.jsonl'), resume.epoch);
    await truncateScalars(dir.file('scalars.csv'), resume.epoch);
    await dir.writeJson(`config.resumed-${Date.now()}.json`, config);
  };
  const controller = new AbortController();
  const interrupt = () => {
    if (job.leader) process.stderr.write('\nstopping at the next step (Ctrl-C again to quit at once)\n');
    process.off('SIGINT', interrupt);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  const log = epochLog(command, dir, {}, !job.leader);
  return {
    command, dir, trainer, commit, config, original: resume?.config,
    hooks: {
      ...log, evalData: data.test, resume: resume?.file, signal: controller.signal,
      // The first step or epoch reported means the trainer took the phase (and any checkpoint): only then is the run directory changed.
      onStep: async (s) => { await commit(); log.onStep(s); },
      onEpoch: async (e) => { await commit(); log.onEpoch(e); },
      checkpoint: { path: dir.file('checkpoint.safetensors'), every: flags.checkpointEvery },
      // The trainer writes the event files (rank 0 only) and, on resume, drops the epochs after the checkpoint.
      tensorboard: dir.tensorboard,
    },
    stop: () => process.off('SIGINT', interrupt),
  };
}

export async function finishRun(run: TrainingRun, result: TrainingResult, data: CliData): Promise<void> {
  try {
    await run.commit(); // a run resumed at its last epoch reports none
    await writeResults(run, result, data);
  } finally {
    run.stop(); // a Ctrl-C until here lets the model and figures be written; a second one quits at once
  }
}

async function writeResults(run: TrainingRun, result: TrainingResult, data: CliData): Promise<void> {
  const leader = run.dir.writes;
  if (leader) await writeTrainingCurves(run.dir);
  if (result.aborted) {
    if (leader) console.error(`stopped; continue with --resume ${run.hooks.checkpoint.path} (the checkpoint of the last completed epoch)`);
    process.exitCode = 130;
    return;
  }
  const model = run.dir.file('model.safetensors');
  await run.trainer.save(model);  // every rank takes part; rank 0 writes
  // The last epoch was evaluated on the test split already (evalData); a run resumed at its end was not.
  // (--keep-best put back an earlier epoch's weights: evaluated as they are.)
  const last = result.best?.restored ? undefined : result.history[result.history.length - 1]?.eval;
  const final = last ?? await run.trainer.evaluate(data.test);
  if (!leader) return;
  // post-train's evaluation before PoF, where the run recorded one (a resumed run: its first config.json did).
  const before = run.config.beforePoF ?? run.original?.beforePoF;
  await run.dir.writeJson('final.json', { error: final.error, loss: final.loss, examples: data.test.shape[0], ...(before ? { beforePoF: before } : {}) });
  console.error(`wrote ${model}; test error ${final.error.toFixed(2)} %`);
  console.log(JSON.stringify({ error: final.error, loss: final.loss }));
}

/**
 * Loss and error curves (training and test) of the complete epochs in metrics.jsonl, as figures/training.svg;
 * its PNG also goes to TensorBoard, as the image `<phase>/training_curves` at the last epoch.
 */
async function writeTrainingCurves(dir: RunDir): Promise<void> {
  const epochs = completeEpochs(readMetrics(dir.file('metrics.jsonl')));
  if (epochs.length === 0) return;
  const series: { name: string; metric: 'loss' | 'error'; values: number[] }[] = [
    { name: 'training', metric: 'loss', values: epochs.map((e) => e.loss) },
    { name: 'training', metric: 'error', values: epochs.map((e) => e.error) },
  ];
  if (epochs.every((e) => e.eval)) {
    series.push({ name: 'test', metric: 'loss', values: epochs.map((e) => e.eval!.loss) },
      { name: 'test', metric: 'error', values: epochs.map((e) => e.eval!.error) });
  }
  const figure = trainingCurves({ epochs: epochs.map((e) => e.epoch), series, title: `${epochs[0].phase}: loss and error per epoch` });
  let png: string | undefined;
  try {
    png = (await writeFigure(dir.figures, 'training', figure)).png;
  } catch (error) {
    // writeFigure's errno errors name the file when opening it failed, not when writing to it did
    throw fileError('write', (error as NodeJS.ErrnoException).path ?? path.join(dir.figures, 'training.svg'), error);
  }
  if (png === undefined) return;  // no rasteriser on this machine
  let bytes: Buffer;
  try {
    bytes = readFileSync(png);
  } catch (error) {
    throw fileError('read', png, error);
  }
  const last = epochs[epochs.length - 1];
  const writer = await EventWriter.create(dir.tensorboard);
  await writer.write(last.epoch, { images: [pngImage(tagOf(last.phase, 'training_curves'), bytes)] });
}
