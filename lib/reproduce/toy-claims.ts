// The toy study's verdicts: each of the paper's claims judged on this run's numbers, and notes that
// explain the outcome (written from the numbers only).
import { Claim, ModelSummary, ToySummary } from './toy-study';

/** Standard error (percentage points) of an error rate measured on n examples. */
function standardError(errorPercent: number, n: number): number {
  const q = errorPercent / 100;
  return 100 * Math.sqrt((q * (1 - q)) / n);
}

function show(v: number | null): string {
  return v === null ? '∞' : v.toFixed(4);
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
}

export function claims(s: ToySummary): Claim[] {
  const pct = (v: number) => `${v.toFixed(2)} %`;
  const ratio = s.xiStar.testMedian / s.xiStar.trainMedian;
  const lastLayer = (m: ModelSummary) => m.deltaL[m.deltaL.length - 1];
  const compare = (name: string, of: (m: ModelSummary) => number, paper: string): Claim => ({
    claim: `PoF lowers ${name} versus SGD`, paper,
    measured: `SGD ${of(s.sgd).toPrecision(4)}, PoF ${of(s.pof).toPrecision(4)}, SGD continued without perturbation ${of(s.control).toPrecision(4)}`,
    reproduced: of(s.pof) < of(s.sgd),
  });
  return [
    {
      claim: 'ξ* of test mini-batches exceeds ξ* of training mini-batches (Fig. 2b)',
      paper: 'the test distribution peaks at about twice the training one',
      measured: `medians: training ${s.xiStar.trainMedian.toFixed(4)}, test ${s.xiStar.testMedian.toFixed(4)} (test / training = ${ratio.toFixed(2)}); ` +
        `counting the rejected batches (training ${s.xiStar.trainRejected}, test ${s.xiStar.testRejected} of ${s.xiStar.batches}) as ξ* = ∞: ` +
        `training ${show(s.xiStar.trainMedianCountingRejected)}, test ${show(s.xiStar.testMedianCountingRejected)}`,
      // Both ways: leaving rejected training batches out could otherwise make training ξ* look small.
      reproduced: s.xiStar.testMedian > s.xiStar.trainMedian && (s.xiStar.testMedianCountingRejected ?? Infinity) > (s.xiStar.trainMedianCountingRejected ?? Infinity),
    },
    {
      claim: 'PoF does not worsen the test error versus SGD',
      paper: 'PoF improves test error on CIFAR-10/100 and SVHN (Table 1); the toy figures show flatter minima',
      measured: `SGD ${pct(s.sgd.testError)}, PoF ${pct(s.pof.testError)}, SGD continued without perturbation ${pct(s.control.testError)} ` +
        `(standard error of one error rate on ${s.settings.testSize} test examples: ±${standardError(s.sgd.testError, s.settings.testSize).toFixed(2)} points)`,
      reproduced: s.pof.testError <= s.sgd.testError,
    },
    compare('the classifier\'s top Hessian eigenvalue', (m) => m.topEigenClassifier, 'Fig. 1d: PoF widens the flat region along the top eigenvectors'),
    compare('ΔL at the last layer', lastLayer, 'Fig. 1c: PoF reduces ΔL at the final layer'),
  ];
}

/** Measured facts that explain the outcome; written from this run's numbers only. */
export function notes(s: ToySummary): string[] {
  const out: string[] = [];
  const gap = s.sgd.testError - s.bayesTestError;
  out.push(`The Bayes-optimal classifier errs on ${s.bayesTestError.toFixed(2)} % of the test set; SGD is ${gap.toFixed(2)} points above it, ` +
    `so ${gap > 1 ? 'there is room for PoF to improve generalisation' : 'there is little room left for any method to improve test error'}.`);
  const meanPerturbation = s.pofTraining.reduce((a, h) => a + h.perturbation, 0) / Math.max(1, s.pofTraining.length);
  const meanReject = s.pofTraining.reduce((a, h) => a + h.rejectRate, 0) / Math.max(1, s.pofTraining.length);
  out.push(`During PoF the classifier was perturbed by ‖θ' − θ0‖ = ${meanPerturbation.toFixed(3)} on average (‖θ0‖ = ${s.classifierNorm.toFixed(3)}, ` +
    `${((100 * meanPerturbation) / s.classifierNorm).toFixed(0)} %), and ${(100 * meanReject).toFixed(0)} % of the line searches were rejected ` +
    '(the batch loss kept falling along −g up to sMax: no perturbation that step).');
  if (s.xiStar.trainMedianCountingRejected === null) {
    out.push(`${s.xiStar.trainRejected} of ${s.xiStar.batches} training batches were rejected: the MLP fits its training set so closely ` +
      'that their loss keeps falling along −g up to sMax. Counted as ξ* = ∞, they make the training median unbounded, so Fig. 2b\'s ' +
      'comparison is not counted as reproduced' +
      (s.xiStar.testMedian > s.xiStar.trainMedian ? ', although the medians of the accepted batches are ordered as in the paper.' : '.'));
  }
  const spread = s.xiStar.trainPerturbations;
  if (spread.meanNorm > 0) {
    const share = `${((100 * spread.normOfMean) / spread.meanNorm).toFixed(0)} %`;
    out.push(`Over ${s.xiStar.batches - s.xiStar.trainRejected} training batches at the SGD solution, the perturbations δ_B = −γ ξ* ĝ ` +
      `have a mean of norm ${spread.normOfMean.toFixed(3)} against a mean ‖δ_B‖ of ${spread.meanNorm.toFixed(3)} (${share}), ` +
      `with cosine ${spread.cosineWithClassifier.toFixed(2)} to θ0` +
      (spread.cosineWithClassifier > 0.9
        ? `: about ${share} of a perturbation only rescales the classifier. Weight decay explains it: at SGD's equilibrium the mean ` +
          'batch gradient of the loss is about −(weight decay)·θ0.'
        : '.'));
  }
  const dPof = s.pof.testError - s.sgd.testError, dControl = s.control.testError - s.sgd.testError;
  out.push(`Test error change versus SGD: PoF ${signed(dPof)} points, the same steps without perturbation ${signed(dControl)} points; ` +
    `PoF versus that control: ${signed(s.pof.testError - s.control.testError)} points.`);
  const se = standardError(s.sgd.testError, s.settings.testSize);
  const examples = Math.round((Math.abs(dPof) * s.settings.testSize) / 100);
  if (Math.abs(dPof) <= se) {
    out.push(`That change is ${examples} of ${s.settings.testSize} test examples, within one standard error (±${se.toFixed(2)} points): ` +
      'on this run PoF neither clearly helps nor clearly hurts the test error.');
  }
  if (s.pof.trainLoss > 1.02 * s.control.trainLoss) {
    // Why PoF can drift: it minimises the loss at the perturbed θ', never at θ0, and nothing pulls φ back.
    out.push(`PoF fits φ to perturbed classifiers θ', not to θ0: the training loss at θ0 went from ${s.sgd.trainLoss.toFixed(4)} to ` +
      `${s.pof.trainLoss.toFixed(4)} during PoF, while the control's went to ${s.control.trainLoss.toFixed(4)}. Near a training loss of ` +
      'zero the pull back toward θ0\'s optimum is weak next to perturbations of this size, so φ drifts slowly away from it.');
  }
  if (s.pof.trainError > s.sgd.trainError + 1) {
    out.push(`PoF raised the training error (${s.sgd.trainError.toFixed(2)} % → ${s.pof.trainError.toFixed(2)} %): the features were pulled toward the ` +
      'perturbed classifiers θ\' more than they stayed fitted to θ0; a smaller PoF learning rate or fewer epochs keeps the model near θ0.');
  }
  return out;
}
