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
