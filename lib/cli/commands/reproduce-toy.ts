import { Command, stringFlag } from '../args';
import { seedFlag } from '../common-flags';

export const reproduceToyCommand: Command = {
  name: 'reproduce toy',
  summary: 'The paper\'s toy study on the CPU (a few minutes): a 5-layer MLP trained with SGD, post-trained with PoF, ' +
    'compared; writes OUT/summary.json, OUT/summary.md and OUT/figures/.',
  flags: {
    out: { type: 'string', help: 'the output directory', required: true },
    seed: { type: 'string', help: 'seed of the data, the weights and the training', default: '0' },
  },
  async run(flags) {
    const out = stringFlag(flags, 'out')!;
    const { reproduceToy } = await import('../../reproduce/toy');
    const started = Date.now();
    const summary = await reproduceToy({ out, seed: seedFlag(flags), log: (line) => console.log(line) });
    console.log(`\nSGD: test error ${summary.sgd.testError.toFixed(2)} %, PoF: ${summary.pof.testError.toFixed(2)} %; ` +
      `xi* median train ${summary.xiStar.trainMedian.toFixed(3)}, test ${summary.xiStar.testMedian.toFixed(3)}`);
    console.log(`wrote ${out}/summary.json and summary.md in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
};
