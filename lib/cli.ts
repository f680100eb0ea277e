#!/usr/bin/env node
// The `pof` command. Modules load lazily so that `pof --help` works even when the addon does not.
import { parseArgs } from 'util';

const HELP = `usage: pof <command> [options]

commands:
  info                       LibTorch version, CUDA availability and devices, as JSON
  reproduce toy --out DIR    the paper's toy study (5-layer MLP: SGD, then PoF); writes DIR/summary.json and summary.md
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

async function reproduce(args: string[]): Promise<void> {
  const [what, ...rest] = args;
  if (!what || what === '--help') {
    console.log('usage: pof reproduce toy --out DIR [--seed N]\n\nruns the toy study on the CPU in about a minute');
    return;
  }
  if (what !== 'toy') throw new Error(`reproduce '${what}' is not available; expected: toy`);
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return reproduce(['--help']);
  if (!values.out) throw new Error('reproduce toy needs --out DIR');
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const { reproduceToy } = await import('./reproduce/toy');
  const started = Date.now();
  const summary = await reproduceToy({ out: values.out, seed, log: (line) => console.log(line) });
  console.log(`\nSGD: test error ${summary.sgd.testError.toFixed(2)} %, PoF: ${summary.pof.testError.toFixed(2)} %; ` +
    `xi* median train ${summary.xiStar.trainMedian.toFixed(3)}, test ${summary.xiStar.testMedian.toFixed(3)}`);
  console.log(`wrote ${values.out}/summary.json and summary.md in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
