// A phase's epochs: each runs natively (with progress reports), then what follows it: evaluation,
// TensorBoard, the callback, the ranks' agreement on stopping, and the checkpoint.
import { checkpointFile } from '../checkpoint/training-checkpoint';
import { pipelineOf } from '../data/input-pipeline';
import { BestEpoch } from './best-epoch';
import { divergence } from './divergence';
import { DEFAULTS } from '../defaults';
import type { NativeEpochStats, NativeProgress } from '../native';
import { learningRateAt } from '../schedules';
import { dropEventsAfter, EventWriter, scalarSummaries } from '../tensorboard';
import type { TrainerCore } from './core';
import type { Phase } from './phase';
import { writeTrainerCheckpoint } from './persistence';
import type { EpochReport, TrainingResult } from './types';

export async function runPhase(core: TrainerCore, phase: Phase): Promise<TrainingResult> {
  // Reads made since the phase was called (e.g. an evaluate right after fit()) see the weights before it.
  if (core.lock.callsBetween) await core.lock.settled();
  // Before the state changes: a directory that cannot be written leaves the trainer as it was.
  const board = await openTensorBoard(core, phase);
  core.progress = undefined;
  core.pipeline = pipelineOf(phase.train.data);  // the weights are trained on these inputs from here on
  core.engine.configureOptimizer(phase.optimizer);
  let first = 0;
  if (phase.resume) {
    const { weights, training } = phase.resume.contents;
    core.model.loadStateDict(weights);
    core.engine.setOptimizerState(training.optimizer);
    core.engine.setRngState(training.rng);
    first = training.progress.epoch;
    core.progress = boundary(phase, first);
  }
  const result: TrainingResult = { history: [], aborted: false, checkpoints: [] };
  const signal = phase.callbacks.signal;
  const cancel = () => core.engine.cancel();
  signal?.addEventListener('abort', cancel);
  result.aborted = signal?.aborted ?? false;
  let warned = false;
  const best = phase.keepBest ? new BestEpoch(core.model) : undefined;
  try {
    // An abort during the last await of an epoch (a checkpoint write) stops before the next one.
    for (let epoch = first; epoch < phase.epochs && !(result.aborted = await core.ranks.any(result.aborted || (signal?.aborted ?? false)));
      epoch += 1) {
      const { report, cancelled } = await runEpoch(core, phase, epoch);
      result.history.push(report);
      result.aborted = await afterEpoch(core, phase, report, cancelled, board, result.checkpoints);
      best?.offer(report);
      const why = phase.onDivergence === 'ignore' || warned ? undefined : divergence(result.history);
      if (why !== undefined) {
        warned = true;  // once per phase: the numbers are in every epoch report from here on
        if (core.ranks.leader) process.emitWarning(`postTrain: ${why}`, 'PoFDivergenceWarning');
        if (phase.onDivergence === 'stop') {
          result.stopped = why;
          break;
        }
      }
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  const kept = best?.restore(result.history[result.history.length - 1]);
  if (kept) {
    result.best = kept;
    // Earlier weights than the last epoch's: the trainer is no longer at that epoch's boundary.
    if (kept.restored) core.progress = undefined;
  }
  return result;
}

/** The phase at an epoch boundary: what a training checkpoint saves. */
function boundary(phase: Phase, epoch: number) {
  const { data } = phase.train;
  return { phase: phase.name, epoch, settings: phase.settings, dataset: { name: data.name, size: data.labels.length, ...(data.classes ? { classes: data.classes } : {}) } };
}

function stepsPerEpoch(phase: Phase): number {
  return Math.floor(phase.train.data.shape[0] / phase.epochOptions.batchSize);
}

function statsReport(phase: Phase, s: NativeEpochStats) {
  const steps = stepsPerEpoch(phase);
  const pof = phase.name === 'postTrain' ? { xi: s.xi, perturbation: s.perturbation, rejectRate: s.rejectRate } : {};
  return { loss: s.loss, error: s.error, steps: s.steps, stepsPerEpoch: steps, partial: s.steps < steps, seconds: s.seconds, ...pof };
}

/** One epoch on the native side, reporting every reportEvery steps to onStep; then evaluation. */
async function runEpoch(core: TrainerCore, phase: Phase, epoch: number): Promise<{ report: EpochReport; cancelled: boolean }> {
  const lr = learningRateAt(phase.schedule, phase.lr, epoch, phase.epochs);
  const base = { phase: phase.name, epoch: epoch + 1, epochs: phase.epochs, lr };
  core.progress = undefined;  // mid-epoch
  // A throwing onStep (or an async one that rejects) stops the epoch at the next step; the phase then
  // rejects with its error. Async calls are awaited before the epoch counts as done.
  let stepError: { error: unknown } | undefined;
  const pending = new Set<Promise<unknown>>();
  const fail = (error: unknown) => {
    if (stepError) return;
    stepError = { error };
    core.engine.cancel();
  };
  const onStep = phase.callbacks.onStep;
  const progress = onStep && ((p: NativeProgress) => {
    if (stepError) return;
    try {
      const result: unknown = onStep({ ...base, ...statsReport(phase, p), step: p.step });
      if (result instanceof Promise) pending.add(result.catch(fail));
    } catch (error) {
      fail(error);
    }
  });
  const stats = await core.lock.phaseWork(phase.name, () => {
    core.engine.setLearningRate(lr);
    return core.engine.trainEpoch(phase.train.resident,
      { ...phase.epochOptions, reportEvery: phase.reportEvery, epoch, totalEpochs: phase.epochs }, progress);
  });
  if (pending.size > 0) await Promise.all(pending);
  if (stepError) throw stepError.error;
  if (!stats.cancelled) core.progress = boundary(phase, epoch + 1);
  const report: EpochReport = { ...base, ...statsReport(phase, stats) };
  const evalData = phase.evalData;
  if (evalData) {
    const e = await core.lock.phaseWork(phase.name, () => core.engine.evaluate(evalData, DEFAULTS.evalBatchSize));
    report.eval = { loss: e.loss, error: e.error };
  }
  return { report, cancelled: stats.cancelled };
}

/** What follows an epoch; returns whether the phase stops here (aborted on any rank). */
async function afterEpoch(core: TrainerCore, phase: Phase, report: EpochReport, cancelled: boolean,
  board: EventWriter | undefined, checkpoints: string[]): Promise<boolean> {
  // Complete epochs only: a partial one's means cover some of its steps, and its step comes again on resume.
  // (The write runs on rank 0 only, where the board is open.)
  if (phase.tensorboard !== undefined && !report.partial) {
    await core.ranks.rankZeroWrites(phase.tensorboard, () => board!.write(report.epoch, { scalars: scalarSummaries(report) }));
  }
  const signal = phase.callbacks.signal;
  await phase.callbacks.onEpoch?.(report);
  // An abort during onEpoch stops here, between epochs, where a checkpoint is consistent (on every rank).
  const aborted = await core.ranks.any(cancelled || (signal?.aborted ?? false));
  const done = report.epoch;
  const target = phase.checkpoint;
  if (target && !cancelled && (done % target.every === 0 || done === phase.epochs || aborted)) {
    const file = checkpointFile(target, phase.name, done);
    await core.lock.phaseWork(phase.name, () => core.ranks.rankZeroWrites(file, () => writeTrainerCheckpoint(core, file, true)));
    checkpoints.push(file);
  }
  return aborted;
}

/**
 * The phase's event file in its `tensorboard` directory (on rank 0; undefined on the other ranks and
 * without the option). A resumed phase first drops the epochs the stopped run logged after the checkpoint.
 */
async function openTensorBoard(core: TrainerCore, phase: Phase): Promise<EventWriter | undefined> {
  const dir = phase.tensorboard;
  if (dir === undefined) return undefined;
  const resumedAt = phase.resume?.contents.training.progress.epoch;
  let writer: EventWriter | undefined;
  await core.ranks.rankZeroWrites(dir, async () => {
    if (resumedAt !== undefined) await dropEventsAfter(dir, phase.name, resumedAt);
    writer = await EventWriter.create(dir);
  });
  return writer;
}
