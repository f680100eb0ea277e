#!/usr/bin/env node
// The `pof` command. Modules load lazily so that `pof --help` works even when the addon does not.
import { parseArgs } from 'util';

const HELP = `usage: pof <command> [options]

commands:
  info                       LibTorch version, CUDA availability and devices, as JSON
  reproduce toy --out DIR    the paper's toy study (5-layer MLP: SGD, then PoF); writes DIR/summary.json,
                             summary.md and figures/*.svg
  help                       this text

Every command takes --help.`;

async function info(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    console.log('usage: pof info\n\nprints { "libtorch": "<version>", "cuda": <bool>, "devices": ["cpu", ...] } as JSON');
    return;
  }
  const { info: read } = await import('./device');
  console.log(JSON.stringify(read(), null, 2));
}

const REPRODUCE_TOY_HELP = `usage: pof reproduce toy --out DIR [--seed N]

The paper's toy study (Sato et al., ICML 2022, Fig. 1-2) on the CPU in about a minute: a 5-layer MLP
trained with SGD on a seeded synthetic set (datasets.toy), then post-trained with PoF (the paper's
lr 3e-5, gamma 2), next to a control that runs the same steps without perturbation (gamma 0).

options:
  --out DIR    where to write the results (created)
  --seed N     seeds the data, the weights, the batch order and PoF's draws (default 0)
  --help       this text

writes:
  DIR/summary.json   { sgd, pof, control: { trainLoss, trainError, testLoss, testError,
                       topEigenClassifier, deltaL }, xiStar: { trainMedian, testMedian, ... },
                       bayesTestError, claims, notes, settings, ... }
  DIR/summary.md     the same, readable: which of the paper's claims this run reproduces
  DIR/figures/       xi-star.svg (Fig. 2b), sgd-training.svg, pof-training.svg (+ .png when resvg loads)`;

async function reproduce(args: string[]): Promise<void> {
  const [what, ...rest] = args;
  if (!what || what === '--help' || what === '-h') {
    console.log(`usage: pof reproduce toy --out DIR [--seed N]\n\n${REPRODUCE_TOY_HELP.split('\n\n')[1]}\n\nsee pof reproduce toy --help`);
    return;
  }
  if (what !== 'toy') throw new Error(`reproduce '${what}' is not available; expected: toy`);
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(REPRODUCE_TOY_HELP);
    return;
  }
  if (!values.out) throw new Error('reproduce toy needs --out DIR (see pof reproduce toy --help)');
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (values.seed === '' || !Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const { reproduceToy } = await import('./reproduce/toy');
  const summary = await reproduceToy({ out: values.out, seed, log: (line) => console.log(line) });
  console.log(`\ntest error: SGD ${summary.sgd.testError.toFixed(2)} %, PoF ${summary.pof.testError.toFixed(2)} %, ` +
    `control ${summary.control.testError.toFixed(2)} % (Bayes-optimal ${summary.bayesTestError.toFixed(2)} %); ` +
    `xi* median train ${summary.xiStar.trainMedian.toFixed(3)}, test ${summary.xiStar.testMedian.toFixed(3)}`);
  for (const c of summary.claims) {
    console.log(`  ${c.reproduced === null ? 'not measured  ' : c.reproduced ? 'reproduced    ' : 'NOT reproduced'}  ${c.claim}`);
  }
  console.log(`wrote ${values.out}/summary.json, summary.md and figures/ in ${summary.seconds.toFixed(1)} s`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(HELP);
    return;
  }
  if (command === 'info') return info(rest);
  if (command === 'reproduce') return reproduce(rest);
  throw new Error(`unknown command '${command}'; expected one of: info, reproduce, help (see pof --help)`);
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`pof: ${e.message}`);
  process.exitCode = 1;
});
