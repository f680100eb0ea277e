// Runs a fuzz target in a worker thread with a watchdog: an input that takes longer than the
// limit is a hang (the worker is terminated and a fresh one goes on after it), a worker that
// dies is a failure of the input it was on. Returns the counts per outcome and error class.
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { TargetName } from './targets';
import type { InputResult, WorkerJob } from './worker';

export interface FuzzOptions {
  target: TargetName;
  iterations: number;
  seed: number;
  /** The most one input may take, in ms. Default 10 s (inputs take milliseconds). */
  inputTimeoutMs?: number;
}

export interface FuzzSummary {
  target: TargetName;
  seed: number;
  inputs: number;
  ok: number;
  /** PoFError class name → count. */
  rejected: Record<string, number>;
  /** Inputs that threw something other than a PoFError, crashed the worker, or took too much memory. */
  failures: { iteration: number; label?: string; message: string }[];
  /** Inputs that ran past the time limit (replay with the same seed and iteration). */
  hangs: number[];
  /** The fixed cases, with their verdicts. */
  cases: InputResult[];
  slowest?: { iteration: number; label: string; ms: number };
  maxPeakGrowth: number;
}

// The worker's stack is as small as the main thread's (workers default to 4 MB), so a recursion
// or a huge argument list that would overflow in a caller's process overflows here too.
// Building a target (reading fixtures, making bombs) happens before its first input.
const STARTUP_MS = 60_000;

export function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const timeout = options.inputTimeoutMs ?? 10_000;
  const summary: FuzzSummary = { target: options.target, seed: options.seed, inputs: 0, ok: 0, rejected: {}, failures: [], hangs: [], cases: [], maxPeakGrowth: 0 };
  const replayed = new Set<number>();
  return new Promise((resolve) => {
    const start = (from: number) => {
      if (from >= options.iterations) {
        resolve(summary);
        return;
      }
      const job: WorkerJob = { target: options.target, seed: options.seed, from, to: options.iterations };
      const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: 1024, stackSizeMb: 1 } });
      let next = from;
      let finished = false;
      let timer: NodeJS.Timeout;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          finish();
          void worker.terminate();
          // A busy machine can stall one input past the limit: it is replayed once in a fresh worker, and
          // counted as a hang only when it overruns again (a real hang does every time).
          if (!replayed.has(next)) {
            replayed.add(next);
            start(next);
            return;
          }
          summary.inputs += 1;
          summary.hangs.push(next);
          start(next + 1);
        }, ms);
      };
      const finish = () => {
        finished = true;
        clearTimeout(timer);
      };
      arm(STARTUP_MS);
      worker.on('message', (message: InputResult | 'done' | { fatal: string }) => {
        if (finished) return;
        if (message === 'done') {
          finish();
          void worker.terminate();
          resolve(summary);
          return;
        }
        if ('fatal' in message) {
          finish();
          summary.failures.push({ iteration: next, message: `the worker failed: ${message.fatal}` });
          summary.inputs += 1;
          void worker.terminate();
          start(next + 1);
          return;
        }
        summary.inputs += 1;
        if (message.expected !== undefined) summary.cases.push(message);
        if (message.outcome === 'ok') summary.ok += 1;
        else if (message.outcome === 'rejected') summary.rejected[message.errorClass!] = (summary.rejected[message.errorClass!] ?? 0) + 1;
        else summary.failures.push({ iteration: message.iteration, label: message.label, message: `${message.errorClass}: ${message.message}` });
        if (!summary.slowest || message.ms > summary.slowest.ms) summary.slowest = { iteration: message.iteration, label: message.label, ms: message.ms };
        summary.maxPeakGrowth = Math.max(summary.maxPeakGrowth, message.peakGrowth);
        next = message.iteration + 1;
        arm(timeout);
      });
      worker.on('error', (error) => {
        if (finished) return;
        finish();
        summary.inputs += 1;
        summary.failures.push({ iteration: next, message: `the worker died: ${error.message}` });
        start(next + 1);
      });
      worker.on('exit', () => {
        if (finished) return;
        finish();
        summary.inputs += 1;
        summary.failures.push({ iteration: next, message: 'the worker exited' });
        start(next + 1);
      });
    };
    start(0);
  });
}

/** True when a fixed case got its expected verdict. */
export function caseHolds(c: InputResult): boolean {
  return c.expected === 'ok' ? c.outcome === 'ok' : c.outcome === 'rejected' && c.errorClass === c.expected;
}

/** One line per target: inputs, ok, rejected by class, failures, hangs. */
export function formatSummary(s: FuzzSummary): string {
  const rejected = Object.entries(s.rejected).map(([cls, n]) => `${cls} ${n}`).join(', ') || 'none';
  const slowest = s.slowest ? `, slowest ${s.slowest.ms.toFixed(0)} ms (#${s.slowest.iteration} ${s.slowest.label})` : '';
  return `${s.target}: ${s.inputs} inputs, ${s.ok} parsed, rejected ${Object.values(s.rejected).reduce((a, b) => a + b, 0)} (${rejected}), ` +
    `failures ${s.failures.length}, hangs ${s.hangs.length}, max peak RSS growth ${Math.round(s.maxPeakGrowth / 2 ** 20)} MiB${slowest}`;
}
