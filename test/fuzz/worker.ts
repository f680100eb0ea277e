// One fuzz worker thread: builds a target's inputs for a range of iterations and reports, for
// each, how its parser ended. Runs in a worker so the harness can bound each input's time (a
// synchronous loop cannot be interrupted from inside) and contain a crash.
import { parentPort, workerData } from 'worker_threads';
import { PoFError } from '../../lib/errors';
import { mutate, Rng } from './mutator';
import { buildTarget, Target, TargetName } from './targets';

export interface WorkerJob {
  target: TargetName;
  seed: number;
  /** Iterations [from, to): the first `cases` of a target are its fixed cases, then mutations. */
  from: number;
  to: number;
}

export interface InputResult {
  iteration: number;
  label: string;
  /** 'ok': parsed; 'rejected': threw a PoFError; 'failure': threw anything else, or took too much memory. */
  outcome: 'ok' | 'rejected' | 'failure';
  /** The class of what was thrown. */
  errorClass?: string;
  message?: string;
  ms: number;
  /** Growth of the process's peak RSS during this input, in bytes. */
  peakGrowth: number;
  /** For a fixed case: 'ok', or the class it must be refused with. */
  expected?: string;
}

// More than this growth of the peak RSS for one input is an allocation the input did not pay for.
const MAX_PEAK_GROWTH = 512 * 2 ** 20;

/** The input of `iteration` and how to parse it. */
export function inputOf(target: Target, seed: number, iteration: number): { label: string; bytes: Uint8Array; parse: (b: Uint8Array) => Promise<unknown>; expected?: string } {
  if (iteration < target.cases.length) {
    const c = target.cases[iteration];
    return { label: `case: ${c.label}`, bytes: c.bytes(), parse: c.parse, expected: c.expected };
  }
  const rng = Rng.forIteration(seed, iteration);
  const s = rng.pick(target.seeds);
  const edited = mutate(s.bytes, rng, target.seeds.map((other) => other.bytes));
  return { label: s.label, bytes: s.wrap ? s.wrap(edited) : edited, parse: s.parse };
}

async function run(job: WorkerJob): Promise<void> {
  const target = await buildTarget(job.target);
  for (let iteration = job.from; iteration < job.to; iteration += 1) {
    const input = inputOf(target, job.seed, iteration);
    const before = process.resourceUsage().maxRSS;
    const started = process.hrtime.bigint();
    let result: InputResult;
    try {
      await input.parse(input.bytes);
      result = { iteration, label: input.label, outcome: 'ok', ms: 0, peakGrowth: 0 };
    } catch (error) {
      const errorClass = (error as Error)?.constructor?.name ?? typeof error;
      result = { iteration, label: input.label, outcome: error instanceof PoFError ? 'rejected' : 'failure', errorClass, message: String((error as Error)?.message ?? error).slice(0, 500), ms: 0, peakGrowth: 0 };
    }
    result.ms = Number(process.hrtime.bigint() - started) / 1e6;
    result.peakGrowth = (process.resourceUsage().maxRSS - before) * 1024;
    result.expected = input.expected;
    if (result.peakGrowth > MAX_PEAK_GROWTH) {
      result = { ...result, outcome: 'failure', message: `peak RSS grew by ${Math.round(result.peakGrowth / 2 ** 20)} MiB (${result.outcome}${result.message ? `: ${result.message}` : ''})` };
    }
    parentPort!.postMessage(result);
  }
}

if (parentPort) {
  run(workerData as WorkerJob).then(
    () => parentPort!.postMessage('done'),
    (error) => parentPort!.postMessage({ fatal: String((error as Error)?.stack ?? error) }),
  );
}
