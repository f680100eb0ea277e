// Runs the built `pof` command as a user would, for the CLI tests.
import { execFile } from 'child_process';
import * as path from 'path';

export const CLI = path.resolve(__dirname, '../../lib/cli.js');

export interface CliResult {
  /** The exit code; null when the command was killed (by the timeout or a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `pof ...args`; a command still running after `timeoutMs` is killed (a hang fails instead of stalling the suite).
 * `env` replaces the environment the command sees (default: this process's).
 */
export function pof(args: string[], timeoutMs = 120_000, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 1 << 24, timeout: timeoutMs, killSignal: 'SIGKILL', env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `pof eval` and `pof analyze` (hessian, xi) of a trained toy model `from`: their exit codes, errors and eval's error rate. */
export async function evalAndAnalyzeToy(from: string, out: string): Promise<{ evaluated: CliResult; analysed: CliResult; error: number }> {
  const evaluated = await pof(['eval', '--dataset', 'toy', '--from', from]);
  const analysed = await pof(['analyze', '--dataset', 'toy', '--from', from, '--analyses', 'hessian,xi',
    '--k', '2', '--batches', '8', '--batch-size', '32', '--hessian-examples', '256', '--out', out]);
  return { evaluated, analysed, error: evaluated.code === 0 ? JSON.parse(evaluated.stdout).error : NaN };
}
