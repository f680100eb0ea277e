// Did PoF help? A trained model post-trained with PoF and, from the same weights, with the same data,
// epochs, learning rate and seeds, its controls: γ = 0 (PoF's very steps and draws, no perturbation) and
// continued training with SGD. Each arm is scored on the same test examples, and PoF is compared with
// each control pairwise (a bootstrap interval over seeds and examples, an exact McNemar test).
import { hessianTopK } from '../analysis/hessian';
import type { PipelineChoice } from '../data/input-pipeline';
import type { ImageSet } from '../data/types';
import { DEFAULTS, type DeviceName, GAMMA_MODES, type GammaMode } from '../defaults';
import { checkKeys, integer, number, oneOf, OptionError, optionalFunction, ownOptions } from '../options';
import { constant } from '../schedules';
import { PoFTrainer } from '../trainer';
import type { EpochReport, StateDict } from '../trainer/types';
import { disagreements, exactMcNemar, meanInterval, MeanInterval, pairedBootstrap, PairedDifference } from './statistics';

/** PoF, its γ = 0 control, and continued SGD at PoF's learning rate (the classifier trained too). */
export const ARMS = ['pof', 'gamma0', 'sgd'] as const;
export type Arm = (typeof ARMS)[number];

export const ARM_NAMES: Record<Arm, string> = { pof: 'PoF', gamma0: 'γ = 0 control', sgd: 'continued SGD' };

export interface StudyOptions {
  /** Seeds of the post-training (batch order, PoF's B): each arm runs once per seed. Default 3. */
  seeds?: number;
  /** Post-training epochs, learning rate, γ and batch size of every arm (defaults: postTrain's). */
  epochs?: number;
  lr?: number;
  gamma?: number;
  gammaMode?: GammaMode;
  batchSize?: number;
  momentum?: number;
  weightDecay?: number;
  /** Which arms to run (default all three; 'pof' always runs). */
  arms?: Arm[];
  /** Training examples for each arm's top classifier eigenvalue (0: none). Default 1024. */
  hessianExamples?: number;
  /** Bootstrap resamples of the paired differences. Default 2000. */
  resamples?: number;
  /** Called as each arm's epoch ends. */
  onEpoch?: (arm: Arm, seed: number, report: EpochReport) => void;
  /** 'override': take `test` even where it is prepared otherwise than the trainer's weights were trained on. */
  inputPipeline?: PipelineChoice;
}

export interface ArmRun {
  arm: Arm;
  seed: number;
  /** Test error (percent) and loss after post-training. */
  error: number;
  loss: number;
  /** The largest eigenvalue of the classifier's Hessian of the training loss (NaN when not measured). */
  eigenvalue: number;
  /** Per epoch: test error and, for PoF and γ = 0, the epoch's ξ* (as its EpochReport gives it). */
  epochs: { epoch: number; testError: number; xi?: number }[];
}

export interface ArmSummary {
  arm: Arm;
  error: MeanInterval;
  eigenvalue: MeanInterval;
}

export interface Comparison {
  /** PoF against this arm. */
  control: Arm;
  /** PoF's error minus the control's, percentage points (negative: PoF errs less). */
  difference: PairedDifference;
  /** Test examples (pooled over seeds) PoF gets right and the control wrong, and the reverse. */
  onlyPoF: number;
  onlyControl: number;
  /** Exact two-sided McNemar p on those counts. */
  p: number;
  verdict: string;
}

export interface StudyResult {
  settings: Required<Omit<StudyOptions, 'onEpoch' | 'arms' | 'inputPipeline'>> & { arms: Arm[] };
  /** The trained model before any post-training (with one base per seed: their mean, and each in `perSeed`). */
  base: { error: number; loss: number; perSeed?: { error: number; loss: number }[] };
  testExamples: number;
  runs: ArmRun[];
  arms: ArmSummary[];
  comparisons: Comparison[];
  /** One line per comparison. */
  verdict: string;
}

/**
 * Runs the study on `trainer`'s current weights (left unchanged): every arm starts from them, on `train`, and is
 * scored on `test`. Each (arm, seed) is a fresh trainer of the same model on the same device. Given several
 * trainers (the same model trained from different initial weights), seed k starts from the k-th: the study then
 * spans the initial weights too.
 */
export async function studyPoF(trainer: PoFTrainer | PoFTrainer[], train: ImageSet, test: ImageSet, given: StudyOptions = {}): Promise<StudyResult> {
  const where = 'studyPoF';
  const bases = Array.isArray(trainer) ? trainer : [trainer];
  if (bases.length === 0 || bases.some((b) => !(b instanceof PoFTrainer))) {
    throw new OptionError(`${where}: trainer must be a PoFTrainer holding the trained model, or a non-empty array of them (one per seed)`);
  }
  const odd = bases.find((b) => JSON.stringify(b.spec) !== JSON.stringify(bases[0].spec) || b.device !== bases[0].device);
  if (odd) throw new OptionError(`${where}: every trainer must hold the same model on the same device; got ${JSON.stringify(odd.spec)} on ${odd.device} beside ${JSON.stringify(bases[0].spec)} on ${bases[0].device}`);
  const o = ownOptions(where, given);
  if (bases.length > 1 && o.seeds !== undefined && o.seeds !== bases.length) {
    throw new OptionError(`${where}: seeds (${String(o.seeds)}) must be the number of trainers given (${bases.length}): seed k starts from the k-th`);
  }
  checkKeys(where, o, ['seeds', 'epochs', 'lr', 'gamma', 'gammaMode', 'batchSize', 'momentum', 'weightDecay', 'arms', 'hessianExamples', 'resamples', 'onEpoch', 'inputPipeline']);
  const arms = o.arms ?? [...ARMS];
  if (!Array.isArray(arms) || arms.some((a) => !ARMS.includes(a)) || !arms.includes('pof') || new Set(arms).size !== arms.length) {
    throw new OptionError(`${where}: arms must list some of ${ARMS.join(', ')} once each, 'pof' among them; got ${JSON.stringify(arms)}`);
  }
  const settings = {
    seeds: integer(where, 'seeds', o.seeds ?? (bases.length > 1 ? bases.length : 3), 1),
    epochs: integer(where, 'epochs', o.epochs ?? DEFAULTS.postTrain.epochs, 1),
    lr: number(where, 'lr', o.lr ?? DEFAULTS.postTrain.lr, { min: 0 }),
    gamma: number(where, 'gamma', o.gamma ?? DEFAULTS.postTrain.gamma, { min: 0 }),
    gammaMode: oneOf(where, 'gammaMode', o.gammaMode ?? DEFAULTS.postTrain.gammaMode, GAMMA_MODES),
    batchSize: integer(where, 'batchSize', o.batchSize ?? DEFAULTS.batchSize, 1),
    momentum: number(where, 'momentum', o.momentum ?? DEFAULTS.momentum, { min: 0 }),
    weightDecay: number(where, 'weightDecay', o.weightDecay ?? DEFAULTS.weightDecay, { min: 0 }),
    hessianExamples: integer(where, 'hessianExamples', o.hessianExamples ?? 1024, 0),
    resamples: integer(where, 'resamples', o.resamples ?? 2000, 1),
    arms: ARMS.filter((a) => arms.includes(a)),
  };
  const onEpoch = optionalFunction<NonNullable<StudyOptions['onEpoch']>>(where, 'onEpoch', o.onEpoch);
  const evaluation = o.inputPipeline === undefined ? {} : { inputPipeline: o.inputPipeline };
  const baseOf = (seed: number) => bases[bases.length > 1 ? seed : 0];
  const before: { error: number; loss: number }[] = [];
  for (const b of bases) {
    const e = await b.evaluate(test, evaluation);
    before.push({ error: e.error, loss: e.loss });
  }
  const mean = (key: 'error' | 'loss') => before.reduce((sum, b) => sum + b[key], 0) / before.length;
  const base = bases.length > 1 ? { error: mean('error'), loss: mean('loss'), perSeed: before } : before[0];
  const runs: ArmRun[] = [];
  const wrong: Record<Arm, Uint8Array[]> = { pof: [], gamma0: [], sgd: [] };
  for (let seed = 0; seed < settings.seeds; seed += 1) {
    const weights = await baseOf(seed).stateDict();
    for (const arm of settings.arms) {
      const { run, misses } = await runArm(baseOf(seed), weights, arm, seed, train, test, settings, onEpoch);
      runs.push(run);
      wrong[arm].push(misses);
    }
  }
  const summaries = settings.arms.map((arm) => {
    const own = runs.filter((r) => r.arm === arm);
    return { arm, error: meanInterval(own.map((r) => r.error)), eigenvalue: meanInterval(own.map((r) => r.eigenvalue).filter(Number.isFinite)) };
  });
  const comparisons = settings.arms.filter((a) => a !== 'pof').map((control) => compare(control, wrong.pof, wrong[control], settings.resamples));
  return {
    settings, base, testExamples: test.labels.length, runs, arms: summaries, comparisons,
    verdict: comparisons.map((c) => c.verdict).join('\n'),
  };
}

type Settings = StudyResult['settings'];

/** One arm at one seed, from the base weights: its run record, and on which test examples it errs. */
async function runArm(trainer: PoFTrainer, weights: StateDict, arm: Arm, seed: number, train: ImageSet, test: ImageSet,
  s: Settings, onEpoch?: StudyOptions['onEpoch']): Promise<{ run: ArmRun; misses: Uint8Array }> {
  const t = new PoFTrainer({ model: trainer.spec, device: trainer.device as DeviceName, seed });
  try {
    await t.loadStateDict(weights);
    const common = { epochs: s.epochs, lr: s.lr, batchSize: s.batchSize, momentum: s.momentum, weightDecay: s.weightDecay,
      schedule: constant(), evalData: test, onEpoch: (e: EpochReport) => onEpoch?.(arm, seed, e) };
    const result = arm === 'sgd'
      ? await t.fit(train, { ...common, method: 'sgd' })
      : await t.postTrain(train, { ...common, gamma: arm === 'pof' ? s.gamma : 0, gammaMode: arm === 'pof' ? s.gammaMode : 'fixed' });
    const final = await t.evaluate(test, { predictions: true });
    const misses = Uint8Array.from(final.predictions!, (label, i) => (label === test.labels[i] ? 0 : 1));
    let eigenvalue = NaN;
    if (s.hessianExamples > 0) {
      const count = Math.min(s.hessianExamples, train.labels.length);
      eigenvalue = (await hessianTopK(t, train, { subset: 'classifier', k: 1, indices: Int32Array.from({ length: count }, (_, i) => i) })).values[0];
    }
    const epochs = result.history.map((e) => ({ epoch: e.epoch, testError: e.eval!.error, ...(e.xi === undefined ? {} : { xi: e.xi }) }));
    return { run: { arm, seed, error: final.error, loss: final.loss, eigenvalue, epochs }, misses };
  } finally {
    t.dispose();
  }
}

const pp = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/** PoF against one control: the paired difference, McNemar, and a verdict in words. */
function compare(control: Arm, pof: Uint8Array[], other: Uint8Array[], resamples: number): Comparison {
  const difference = pairedBootstrap(pof, other, { resamples, seed: 0 });
  // Right under PoF only = the control errs and PoF does not.
  const { onlyA: onlyPoF, onlyB: onlyControl } = disagreements(pof, other);
  const p = exactMcNemar(onlyPoF, onlyControl);
  const numbers = `Δ error ${pp(difference.difference)} pp (95 % CI ${pp(difference.low)} to ${pp(difference.high)}), McNemar p = ${p.toPrecision(2)}`;
  const name = ARM_NAMES[control];
  const detected = difference.low > 0 || difference.high < 0;
  const verdict = !detected ? `PoF vs ${name}: no detectable difference (${numbers})`
    : `PoF vs ${name}: PoF ${difference.difference < 0 ? 'lowers' : 'raises'} the test error (${numbers})`;
  return { control, difference, onlyPoF, onlyControl, p, verdict };
}
