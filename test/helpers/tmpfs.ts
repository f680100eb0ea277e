// A small tmpfs mounted for one test file: a real full disk or a real read-only file system. Mounting
// needs root (CI runs as root); elsewhere the tests that need one are skipped.
import test from 'ava';
import { spawnSync } from 'child_process';
import { tempDir } from './fixtures';

/** A directory with a tmpfs of `size` mounted on it (unmounted after the file's tests), or undefined. */
export function mountTmpfs(name: string, options: { size: string; readOnly?: boolean }): string | undefined {
  const dir = tempDir(name);
  const flags = `size=${options.size}${options.readOnly ? ',ro' : ''}`;
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', flags, 'tmpfs', dir], { stdio: 'ignore' }).status !== 0) return undefined;
  test.after.always(() => { spawnSync('umount', [dir], { stdio: 'ignore' }); });
  return dir;
}
