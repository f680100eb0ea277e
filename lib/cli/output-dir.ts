// The directory a command writes its results to (--out): checked and created before any work starts.
import { makeDirectory } from '../make-directory';

/**
 * `dir` as an existing, writable directory: created (with its missing parents) when it does not exist.
 * Errors name the flag that gave it (`--out` unless `flag` says otherwise).
 */
export function prepareOutputDir(dir: string, flag = 'out'): void {
  makeDirectory(dir, `--${flag} ${dir}`);
}
