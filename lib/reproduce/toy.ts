// `pof reproduce toy`: the paper's toy study on a 5-layer MLP (Fig. 1c/1d, Fig. 2a/2b): SGD, then
// PoF post-training of the feature extractor, compared; plus a control that continues SGD on φ for
// the same steps without perturbation (PoF with γ = 0), so that "PoF helped" is not confused with
// "more training helped". This file runs the study; toy-claims.ts judges it and toy-report.ts writes
// DIR/summary.json, DIR/summary.md and DIR/figures/*.svg.
import * as path from 'path';
import { toyAnalyses } from '../analysis/toy-analyses';
import { toy, toyBayesError, ToyOptions as ToyDataOptions } from '../data/toy';
import { ImageSet } from '../data/types';
import { mlp } from '../models';
import { boolean, checkKeys, integer, OptionError } from '../options';
import { constant, multistep } from '../schedules';
import { EpochReport, PoFTrainer } from '../trainer';
import { claims, notes } from './toy-claims';
import { writeToyFigures, writeToySummary } from './toy-report';
import { Analyses, Curves, FEATURE_REUSE_NOTE, ModelSummary, TOY_STUDY, ToySummary } from './toy-study';
import { classifierVector, median, medianCountingRejected, xiStarSamples } from './xi-star';
import { makeDirectory } from '../make-directory';

export { TOY_STUDY } from './toy-study';
export type { Claim, ModelSummary, ToySummary } from './toy-study';

export interface ToyStudyOptions {
  /** Output directory (created). */
  out: string;
  /** Seeds the data, the initial weights, the batch order and PoF's draws. Default 0. */
  seed?: number;
  /** Shorter runs (tests): override the epochs of each phase, the ξ* batches and the test-set size. */
  sgdEpochs?: number;
  pofEpochs?: number;
  xiBatches?: number;
  testSize?: number;
  /** PoF (and the control) take B from the previous iteration's B̃, features one step stale. Default false. */
  featureReuse?: boolean;
  log?: (line: string) => void;
}

/** Losses and errors of the model in its current state, and its Hessian analyses (Fig. 1c/1d/2a). */
async function summarise(trainer: PoFTrainer, train: ImageSet, test: ImageSet, name: keyof Analyses, analyses: Partial<Analyses>, seed: number):
  Promise<ModelSummary> {
  const [tr, te] = [await trainer.evaluate(train), await trainer.evaluate(test)];
  const a = await toyAnalyses(trainer, train, test, { name, seed });
  analyses[name] = a;
  return { trainLoss: tr.loss, trainError: tr.error, testLoss: te.loss, testError: te.error, topEigenClassifier: a.topEigenClassifier, deltaL: a.deltaL };
}

function emptyCurves(): Curves {
  return { epoch: [], trainLoss: [], trainError: [], testError: [] };
}

/** An onEpoch callback recording training loss/error of the model itself (at θ0) and test error. */
function recorder(trainer: PoFTrainer, train: ImageSet, curves: Curves, log: (line: string) => void, every: number) {
  return async (e: EpochReport) => {
    const tr = await trainer.evaluate(train);
    curves.epoch.push(e.epoch);
    curves.trainLoss.push(tr.loss);
    curves.trainError.push(tr.error);
    curves.testError.push(e.eval!.error);
    if (e.epoch % every === 0 || e.epoch === e.epochs) {
      const pof = e.rejectRate === undefined ? '' : `, ξ* ${e.xi!.toFixed(3)}, rejected ${(100 * e.rejectRate).toFixed(0)} %`;
      log(`  epoch ${e.epoch}: train loss ${tr.loss.toFixed(4)}, train error ${tr.error.toFixed(2)} %, test error ${e.eval!.error.toFixed(2)} %${pof}`);
    }
  };
}

function checkOptions(options: ToyStudyOptions) {
  const where = 'reproduceToy';
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  checkKeys(where, options, ['out', 'seed', 'sgdEpochs', 'pofEpochs', 'xiBatches', 'testSize', 'featureReuse', 'log']);
  if (typeof options.out !== 'string' || options.out === '') throw new OptionError(`${where}: out must be a directory path, got ${String(options.out)}`);
  return {
    seed: integer(where, 'seed', options.seed ?? 0, 0),
    sgdEpochs: integer(where, 'sgdEpochs', options.sgdEpochs ?? TOY_STUDY.sgd.epochs, 1),
    pofEpochs: integer(where, 'pofEpochs', options.pofEpochs ?? TOY_STUDY.pof.epochs, 1),
    xiBatches: integer(where, 'xiBatches', options.xiBatches ?? TOY_STUDY.xiStar.batches, 1),
    testSize: options.testSize === undefined ? undefined : integer(where, 'testSize', options.testSize, 1),
    featureReuse: boolean(where, 'featureReuse', options.featureReuse ?? false),
  };
}

export async function reproduceToy(options: ToyStudyOptions): Promise<ToySummary> {
  const o = checkOptions(options);
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const dataOptions: ToyDataOptions = { ...TOY_STUDY.data, seed: o.seed, ...(o.testSize ? { testSize: o.testSize } : {}) };
  const { train, test } = toy(dataOptions);
  const bayesTestError = toyBayesError(dataOptions);
  const model = mlp({ inputDim: train.shape[1], hidden: TOY_STUDY.hidden, numClasses: train.numClasses });
  const trainer = new PoFTrainer({ model, seed: o.seed });
  const logEvery = (epochs: number) => Math.max(1, Math.round(epochs / 4));

  const s = TOY_STUDY.sgd;
  log(`SGD: ${o.sgdEpochs} epochs on ${train.shape[0]} toy examples (seed ${o.seed}; Bayes-optimal test error ${bayesTestError.toFixed(2)} %)`);
  const sgdCurves = emptyCurves();
  await trainer.fit(train, {
    method: 'sgd', epochs: o.sgdEpochs, batchSize: s.batchSize, lr: s.lr, momentum: s.momentum, weightDecay: s.weightDecay,
    schedule: multistep([...new Set(s.milestones.map((m) => Math.max(1, Math.floor(m * o.sgdEpochs))))], s.factor),
    evalData: test, onEpoch: recorder(trainer, train, sgdCurves, log, logEvery(o.sgdEpochs)),
  });
  const analyses: Partial<Analyses> = {};
  const sgd = await summarise(trainer, train, test, 'SGD', analyses, o.seed);
  const sgdState = await trainer.stateDict();
  const classifierNorm = Math.hypot(...await classifierVector(trainer));

  // Fig. 2b: ξ* of training vs test batches at the SGD solution (distinct seeds for the two draws).
  const p = TOY_STUDY.pof;
  const xb = { batches: o.xiBatches, batchSize: TOY_STUDY.xiStar.batchSize };
  const search = { ...xb, gamma: p.gamma, initialStep: p.initialStep, maxStep: p.maxStep, partitions: p.partitions };
  const xiTrain = await xiStarSamples(trainer, train, { ...search, seed: 1 });
  const xiTest = await xiStarSamples(trainer, test, { ...search, seed: 2 });

  const post = (gamma: number, curves: Curves) => trainer.postTrain(train, {
    epochs: o.pofEpochs, batchSize: p.batchSize, lr: p.lr, momentum: p.momentum, weightDecay: p.weightDecay, gamma,
    initialStep: p.initialStep, maxStep: p.maxStep, partitions: p.partitions, featureReuse: o.featureReuse, schedule: constant(),
    evalData: test, onEpoch: recorder(trainer, train, curves, log, logEvery(o.pofEpochs)),
  });
  log(`PoF: ${o.pofEpochs} epochs, lr ${p.lr}, γ ${p.gamma}${o.featureReuse ? FEATURE_REUSE_NOTE : ''}`);
  const pofCurves = emptyCurves();
  const pofRun = await post(p.gamma, pofCurves);
  const pof = await summarise(trainer, train, test, 'PoF', analyses, o.seed);
  log(`Control: the same ${o.pofEpochs} epochs from the SGD model with γ = 0 (no perturbation)`);
  await trainer.loadStateDict(sgdState);
  const controlCurves = emptyCurves();
  await post(0, controlCurves);
  const control = await summarise(trainer, train, test, 'γ = 0', analyses, o.seed);

  const xiStar = {
    trainMedian: median(xiTrain.xi), testMedian: median(xiTest.xi),
    trainMedianCountingRejected: finiteOrNull(medianCountingRejected(xiTrain.xi, xiTrain.rejected)),
    testMedianCountingRejected: finiteOrNull(medianCountingRejected(xiTest.xi, xiTest.rejected)),
    trainRejected: xiTrain.rejected, testRejected: xiTest.rejected, batches: xb.batches, batchSize: xb.batchSize,
    trainPerturbations: xiTrain.perturbations,
  };
  const pofTraining = pofRun.history.map((h, i) => ({
    epoch: h.epoch, loss: h.loss, error: h.error, xi: h.xi!, perturbation: h.perturbation!, rejectRate: h.rejectRate!, testError: pofCurves.testError[i],
  }));
  const summary: ToySummary = {
    seed: o.seed, featureReuse: o.featureReuse, bayesTestError, sgd, pof, control, xiStar, pofTraining, classifierNorm,
    claims: [], notes: [],
    settings: { ...TOY_STUDY, sgd: { ...s, epochs: o.sgdEpochs }, pof: { ...p, epochs: o.pofEpochs },
      xiStar: { ...TOY_STUDY.xiStar, batches: o.xiBatches }, trainSize: train.shape[0], testSize: test.shape[0] },
    seconds: 0,
  };
  summary.claims = claims(summary);
  summary.notes = notes(summary);

  makeDirectory(options.out, `cannot create the output directory ${options.out}`);
  await writeToyFigures(path.join(options.out, 'figures'), summary, {
    xiTrain: xiTrain.xi, xiTest: xiTest.xi, curves: { sgd: sgdCurves, pof: pofCurves, control: controlCurves }, analyses: analyses as Analyses,
  });
  summary.seconds = (Date.now() - started) / 1000;
  await writeToySummary(options.out, summary);
  return summary;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
