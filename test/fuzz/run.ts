// The long fuzz run, on demand:
//   node dist/test/fuzz/run.js [--parser NAME|all] [--iterations N] [--seed S] [--timeout MS]
// prints, per parser, the inputs tried, parsed, rejected by error class, failures and hangs, and
// the first failures with their iteration (rerun with the same seed to replay one). Exits 1 on any.
import { caseHolds, formatSummary, runFuzz } from './harness';
import { TARGET_NAMES, TargetName } from './targets';

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const parser = argument('parser', 'all');
  const iterations = Number(argument('iterations', '20000'));
  const seed = Number(argument('seed', '1'));
  const timeout = Number(argument('timeout', '10000'));
  const names = parser === 'all' ? [...TARGET_NAMES] : parser.split(',');
  for (const name of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) throw new Error(`unknown parser '${name}'; expected one of ${TARGET_NAMES.join(', ')} or all`);
  }
  if (!Number.isSafeInteger(iterations) || iterations < 1 || !Number.isSafeInteger(seed)) throw new Error('--iterations must be a positive integer and --seed an integer');
  let bad = 0;
  for (const name of names as TargetName[]) {
    const started = Date.now();
    const summary = await runFuzz({ target: name, iterations, seed, inputTimeoutMs: timeout });
    console.log(`${formatSummary(summary)}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const c of summary.cases) {
      const right = caseHolds(c);
      if (!right) bad += 1;
      console.log(`  ${right ? 'ok  ' : 'BAD '} ${c.label}: ${c.outcome}${c.errorClass ? ` ${c.errorClass}` : ''} in ${c.ms.toFixed(0)} ms, peak RSS +${Math.round(c.peakGrowth / 2 ** 20)} MiB`);
    }
    for (const f of summary.failures.slice(0, 10)) console.log(`  FAILURE #${f.iteration}${f.label ? ` (${f.label})` : ''}: ${f.message}`);
    if (summary.hangs.length > 0) console.log(`  HANGS at iterations ${summary.hangs.slice(0, 20).join(', ')}`);
    bad += summary.failures.length + summary.hangs.length;
  }
  process.exitCode = bad > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
