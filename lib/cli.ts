#!/usr/bin/env node
// The `pof` command.
import { info } from './device';

const HELP = `usage: pof <command> [options]

commands:
  info      print LibTorch version, CUDA availability and devices as JSON
  help      this text`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(HELP);
    return 0;
  }
  if (command === 'info') {
    if (rest.includes('--help')) {
      console.log('usage: pof info\n\nprints { "libtorch": "<version>", "cuda": <bool>, "devices": ["cpu", ...] } as JSON');
      return 0;
    }
    console.log(JSON.stringify(info(), null, 2));
    return 0;
  }
  throw new Error(`unknown command '${command}'; expected one of: info, help (see pof --help)`);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`pof: ${(e as Error).message}`);
  process.exitCode = 1;
}
