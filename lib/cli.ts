#!/usr/bin/env node
// The `pof` command: finds the command, parses its flags, runs it. An error is one line and a non-zero
// exit code (2 for a mistake of the user's, 1 for a failure while running: exit-code.ts). The addon loads on
// first use (lib/addon.ts), so `--help` and `--version` work even where it does not.
import { Command, helpText, parseFlags, UsageError } from './cli/args';
import { analyzeCommand } from './cli/commands/analyze';
import { downloadCommand } from './cli/commands/download';
import { evalCommand } from './cli/commands/eval';
import { infoCommand } from './cli/commands/info';
import { postTrainCommand } from './cli/commands/post-train';
import { prepareCommand } from './cli/commands/prepare';
import { reproduceFig5Command, reproduceFig6Command } from './cli/commands/reproduce-figures';
import { reproduceTable1Command } from './cli/commands/reproduce-table1';
import { reproduceTable2Command } from './cli/commands/reproduce-table2';
import { reproduceToyCommand } from './cli/commands/reproduce-toy';
import { studyCommand } from './cli/commands/study';
import { trainCommand } from './cli/commands/train';
import { failure } from './cli/exit-code';
import { cliJob } from './cli/job';

const COMMANDS: Command[] = [
  trainCommand, postTrainCommand, studyCommand, evalCommand, analyzeCommand, infoCommand,
  reproduceToyCommand, reproduceTable1Command, reproduceTable2Command, reproduceFig5Command, reproduceFig6Command, downloadCommand, prepareCommand,
];

function overview(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(18)} ${c.brief}`);
  return ['usage: pof <command> [options]', '', 'commands:', ...lines, '', 'Every command takes --help; pof --version prints the version.'].join('\n');
}

/** The command named by the first one or two words of argv, and the rest. */
function find(argv: string[]): [Command, string[]] {
  const [first, second, ...rest] = argv;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return [two, rest];
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return [one, argv.slice(1)];
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.split(' ')[1]);
  if (group.length > 0) {
    if (second === undefined || second === '--help' || second === '-h') {
      throw new UsageError(`usage: pof ${first} <${group.join('|')}> [options]`);
    }
    throw new UsageError(`pof ${first} '${second}' is unknown; expected one of: ${group.join(', ')}`);
  }
  throw new UsageError(`unknown command '${first}'; expected one of: ${[...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))].join(', ')} (see pof --help)`);
}

/** The package's version; read from package.json so that it needs no addon. */
function version(): string {
  return (require('../../package.json') as { version: string }).version;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(version());
    return;
  }
  if (['help', '--help', '-h'].includes(argv[0])) {
    console.log(overview());
    return;
  }
  // No command is a mistake in how pof was called (a script that lost its arguments must not pass).
  if (argv.length === 0) throw new UsageError(overview());
  const [command, args] = find(argv);
  const flags = parseFlags(command, args);
  if (flags === 'help') {
    console.log(helpText(command));
    return;
  }
  const job = cliJob();
  if (job.distributed && !command.dataParallel) {
    throw new UsageError(`pof ${command.name} runs in one process; under torchrun only train, post-train and eval run as a ` +
      'data-parallel job (start it without torchrun)');
  }
  await command.run(flags);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const { line, exitCode } = failure(e);
  console.error(`${cliJob().prefix}${line}`);
  process.exitCode = exitCode;
});
