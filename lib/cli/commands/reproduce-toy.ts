import { reproduceToy } from '../../reproduce/toy';
import { Command, stringFlag } from '../args';
import { FEATURE_REUSE_FLAG, featureReuseFlag, seedFlag } from '../common-flags';
import { prepareOutputDir } from '../output-dir';

export const reproduceToyCommand: Command = {
  name: 'reproduce toy',
  brief: 'the paper\'s toy study (Fig. 1-2) on the CPU in a few minutes',
  summary: 'The paper\'s toy study (Fig. 1-2) on the CPU in a few minutes: a 5-layer MLP trained with SGD on a seeded ' +
    'synthetic set (datasets.toy), post-trained with PoF (the paper\'s lr 3e-5, γ 2), next to a control that runs the same ' +
    'steps without perturbation (γ 0); the Hessian analyses of each. Writes OUT/summary.json (sgd, pof, control: losses, ' +
    'errors, topEigenClassifier, deltaL; xiStar; the verdict on each of the paper\'s claims), OUT/summary.md and ' +
    'OUT/figures/*.svg (+ .png).',
  flags: {
    out: { type: 'string', help: 'the output directory (created)', required: true },
    seed: { type: 'string', help: 'seeds the data, the weights, the batch order and PoF\'s draws', default: '0' },
    ...FEATURE_REUSE_FLAG,
  },
  async run(flags) {
    const out = stringFlag(flags, 'out')!;
    const seed = seedFlag(flags);
    prepareOutputDir(out);
    const summary = await reproduceToy({ out, seed, featureReuse: featureReuseFlag(flags), log: (line) => console.log(line) });
    console.log(`\ntest error: SGD ${summary.sgd.testError.toFixed(2)} %, PoF ${summary.pof.testError.toFixed(2)} %, ` +
      `control ${summary.control.testError.toFixed(2)} % (Bayes-optimal ${summary.bayesTestError.toFixed(2)} %); ` +
      `xi* median train ${summary.xiStar.trainMedian.toFixed(3)}, test ${summary.xiStar.testMedian.toFixed(3)}`);
    for (const c of summary.claims) {
      console.log(`  ${c.reproduced === null ? 'not measured  ' : c.reproduced ? 'reproduced    ' : 'NOT reproduced'}  ${c.claim}`);
    }
    console.log(`wrote ${out}/summary.json, summary.md and figures/ in ${summary.seconds.toFixed(1)} s`);
  },
};
