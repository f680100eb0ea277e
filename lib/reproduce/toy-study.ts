// The toy study's settings and the shape of its results, shared by the run (toy.ts), the verdicts
// (toy-claims.ts) and the report (toy-report.ts).
import { ToyAnalyses } from '../analysis/toy-analyses';
import { ToyOptions as ToyDataOptions } from '../data/toy';
import { PerturbationSpread } from './xi-star';

/**
 * The study's settings: the paper's optimisers and PoF settings (not retuned) on a toy set sized so
 * that the MLP does not interpolate it. Chosen by training-set statistics, never by test results; the
 * reasons and the variants tried are in bench/toy-experiments.md.
 */
export const TOY_STUDY = {
  data: { numClasses: 4, dim: 16, latentDim: 6, clustersPerClass: 3, spread: 2, noise: 0.5, labelNoise: 0, trainSize: 2048, testSize: 4096 } as ToyDataOptions,
  hidden: [64, 64, 64, 64],
  sgd: { epochs: 40, batchSize: 32, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, milestones: [0.5, 0.75], factor: 0.2 },
  pof: { epochs: 10, batchSize: 32, lr: 3e-5, momentum: 0.9, weightDecay: 5e-4, gamma: 2, initialStep: 1, maxStep: 100, partitions: 16 },
  xiStar: { batches: 200, batchSize: 32 },
};

/** How the log and summary.md describe a feature-reuse run. */
export const FEATURE_REUSE_NOTE = ', B = the previous iteration\'s B̃ (feature reuse)';

export interface ModelSummary {
  trainLoss: number;
  /** Percent. */
  trainError: number;
  testLoss: number;
  testError: number;
  /** Top eigenvalue of the training-loss Hessian w.r.t. the classifier (Fig. 1d). */
  topEigenClassifier: number;
  /** ΔL per weight layer, input side first; the last is the classifier (Fig. 1c). */
  deltaL: number[];
}

/** One of the paper's claims and whether this run shows it: true, false, or null (not measured). */
export interface Claim {
  claim: string;
  paper: string;
  measured: string;
  reproduced: boolean | null;
}

export interface ToySummary {
  seed: number;
  /** Whether PoF and the control reused the previous B̃'s features as B. */
  featureReuse: boolean;
  /** Error of the Bayes-optimal classifier on the test set (percent): the floor no model can beat. */
  bayesTestError: number;
  sgd: ModelSummary;
  pof: ModelSummary;
  /** SGD's φ trained on for PoF's steps with the same settings but γ = 0 (no perturbation). */
  control: ModelSummary;
  xiStar: {
    trainMedian: number;
    testMedian: number;
    /** Medians with rejected batches counted as ξ* = +∞ (null: half or more rejected, the median is +∞). */
    trainMedianCountingRejected: number | null;
    testMedianCountingRejected: number | null;
    /** Batches whose loss kept falling along −g up to sMax (no ξ*), out of `batches`. */
    trainRejected: number;
    testRejected: number;
    batches: number;
    batchSize: number;
    /** PoF's perturbations δ_B = −γ ξ* ĝ of these training batches at the SGD solution: their common part. */
    trainPerturbations: PerturbationSpread;
  };
  /** Per PoF epoch: mean objective L_B̃(φ, θ') and its error, mean ξ*, ‖θ' − θ0‖, reject rate, test error. */
  pofTraining: { epoch: number; loss: number; error: number; xi: number; perturbation: number; rejectRate: number; testError: number }[];
  classifierNorm: number;
  claims: Claim[];
  notes: string[];
  settings: typeof TOY_STUDY & { trainSize: number; testSize: number };
  seconds: number;
}

/** Per epoch: the whole training split's loss and error at the model's own weights, and the test error. */
export type Curves = { epoch: number[]; trainLoss: number[]; trainError: number[]; testError: number[] };

/** Fig. 1c/1d/2a for each model of the study, kept for the figures. */
export type Analyses = Record<'SGD' | 'PoF' | 'γ = 0', ToyAnalyses>;

/** What the figures draw beyond the summary: the ξ* samples, the training curves and the analyses. */
export interface ToyMeasurements {
  xiTrain: number[];
  xiTest: number[];
  curves: Record<'sgd' | 'pof' | 'control', Curves>;
  analyses: Analyses;
}
