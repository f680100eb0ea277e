// A phase (fit or postTrain) made ready to run: its options resolved (merged with a resume's saved
// ones and checked against them), its data resident, its checkpoint target made, all before any
// state changes.
import { assertSameSettings, readResumePoint, ResumePoint, withSavedSettings } from '../checkpoint/resume';
import { PhaseName, resolveCheckpointTarget } from '../checkpoint/training-checkpoint';
import { checkBatchFits } from '../data-fit';
import { exampleShape } from '../data/resized-crop';
import type { ImageSet } from '../data/types';
import { DEFAULTS, FLOAT32_MAX } from '../defaults';
import { OptionError } from '../errors';
import { checkTrainingFits } from '../memory-budget';
import { learningRateAt } from '../schedules';
import { native } from '../addon';
import type { NativeDataset } from '../native';
import { boolean, integer, oneOf } from '../options';
import { DIVERGENCE_ACTIONS, type DivergenceAction } from './divergence';
import { assertSamePipeline, PIPELINE_CHOICES, pipelineOf } from '../data/input-pipeline';
import type { TrainerCore } from './core';
import { PHASE_KEYS, ResolvedPhase, resolvePhase } from './phase-options';
import type { CommonOptions, PostTrainOptions } from './types';

export interface Phase extends ResolvedPhase {
  name: PhaseName;
  train: { data: ImageSet; resident: NativeDataset };
  evalData?: NativeDataset;
  reportEvery: number;
  /** postTrain: what a diverging run does (fit: 'ignore'). */
  onDivergence: DivergenceAction;
  /** postTrain: end with the best epoch's weights (by evalData error). */
  keepBest: boolean;
  /** The callbacks and the abort signal the caller gave. */
  callbacks: Pick<CommonOptions, 'onEpoch' | 'onStep' | 'signal'>;
  /** The directory of the phase's TensorBoard event files, when asked for. */
  tensorboard?: string;
  checkpoint?: { path?: string; dir?: string; every: number };
  /** The checkpoint the phase continues from. */
  resume?: ResumePoint;
}

/**
 * Resolves and checks everything a phase needs (the caller holds the trainer for the phase). Not
 * async: the checks that need no file throw synchronously, so that the phase lets go of the trainer
 * in the same turn (a call made right after a refused fit() finds the trainer free).
 */
export function preparePhase(core: TrainerCore, name: PhaseName, train: ImageSet, options: CommonOptions,
  tensorboard: string | undefined): Promise<Phase> {
  const where = name;
  const choice = oneOf(where, 'inputPipeline', options.inputPipeline ?? 'check', PIPELINE_CHOICES);
  assertSamePipeline(where, 'training data', core.pipeline, train, choice);
  // Evaluation data is the training data's kind of input, prepared the same way (else its errors mislead).
  if (options.evalData !== undefined) assertSamePipeline(where, 'evaluation data (evalData)', pipelineOf(train), options.evalData, 'check');
  const resident = core.resident(where, train, 'training data');
  const evalData = options.evalData === undefined ? undefined
    : core.resident(where, options.evalData, 'evaluation data (evalData)');
  const ready = (resolved: ResolvedPhase, resume?: ResumePoint) => completePhase(name, train, options, resolved, {
    name, train: { data: train, resident }, evalData, tensorboard, resume,
    callbacks: { onEpoch: options.onEpoch, onStep: options.onStep, signal: options.signal },
  }).then((phase) => {
    checkTrainingFits(where, core.spec, core.device, Math.max(...Object.values(phase.batchSizes)), exampleShape(train));
    return probeTraining(core, phase);
  });
  if (options.resume === undefined) return ready(resolvePhase[name](where, options));
  const target = { spec: core.spec, device: core.device, model: core.model, engine: core.engine, threads: native.numThreads() };
  return readResumePoint(where, options.resume, train, target).then((resume) => {
    const resolved = resolvePhase[name](where, withSavedSettings(options, resume.contents.training.progress.settings, PHASE_KEYS[name]));
    assertSameSettings(where, resume, resolved.settings);
    return ready(resolved, resume);
  });
}

/** Every epoch's learning rate fits float32 (a multistep factor above 1 can grow it past). */
function checkScheduledRates(where: PhaseName, phase: ResolvedPhase): void {
  for (let epoch = 0; epoch < phase.epochs; epoch += 1) {
    const lr = learningRateAt(phase.schedule, phase.lr, epoch, phase.epochs);
    if (!(lr <= FLOAT32_MAX)) {
      throw new OptionError(`${where}: the schedule takes the learning rate to ${lr} at epoch ${epoch + 1}, beyond float32 ` +
        `(at most ${FLOAT32_MAX}); lower lr or the multistep factor`);
    }
  }
}

/**
 * A user's model (TorchScript or exported) runs in training mode at the phase's batch sizes (B̃ and PoF's B), so that code
 * failing only there is an OptionError now rather than mid-run; the probe leaves the model as it was.
 * It waits for calls made since the phase was called (an evaluate) to settle: they use the model.
 */
async function probeTraining(core: TrainerCore, phase: Phase): Promise<Phase> {
  if (core.lock.callsBetween) await core.lock.settled();
  core.model.probeTraining({ phase: phase.name, batchSizes: [...new Set(Object.values(phase.batchSizes))] });
  return phase;
}

/** The checks after the options: the checkpoint target (its directory made), batch sizes, report interval. */
async function completePhase(where: PhaseName, train: ImageSet, options: CommonOptions, resolved: ResolvedPhase,
  rest: Omit<Phase, keyof ResolvedPhase | 'reportEvery' | 'checkpoint' | 'onDivergence' | 'keepBest'>): Promise<Phase> {
  const pof = options as PostTrainOptions;
  const onDivergence = where === 'postTrain' ? oneOf(where, 'onDivergence', pof.onDivergence ?? 'warn', DIVERGENCE_ACTIONS) : 'ignore';
  const keepBest = where === 'postTrain' && boolean(where, 'keepBest', pof.keepBest ?? false);
  if (keepBest && options.evalData === undefined) throw new OptionError(`${where}: keepBest needs evalData (the held-out data that says which epoch is best)`);
  const checkpoint = await resolveCheckpointTarget(where, options.checkpoint);
  checkBatchFits(where, train, 'training data', resolved.batchSizes);
  checkScheduledRates(where, resolved);
  const reportEvery = integer(where, 'reportEvery', options.reportEvery ?? DEFAULTS.reportEvery, 0);
  return { ...resolved, ...rest, reportEvery, checkpoint, onDivergence, keepBest };
}
