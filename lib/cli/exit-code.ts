// How the `pof` command ends on an error: one line on stderr, and an exit code that tells a mistake in how
// it was called (2: fix the command line) from a failure while running (1: retrying or reporting may help).
import { FileError, PoFError } from '../errors';

/** Errno codes that mean the path given is wrong (missing, not a file, not writable), not that the disk failed. */
const PATH_MISTAKES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

export const EXIT_MISTAKE = 2;
export const EXIT_FAILURE = 1;

export function exitCodeFor(error: unknown): number {
  if (error instanceof FileError) return error.syscallCode !== undefined && PATH_MISTAKES.has(error.syscallCode) ? EXIT_MISTAKE : EXIT_FAILURE;
  if (error instanceof PoFError) return error.isUserError ? EXIT_MISTAKE : EXIT_FAILURE;
  return EXIT_FAILURE;
}

/** The error as one line: its message with line breaks folded (a stack trace is no help to a user). */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('usage:')) return message;
  return `pof: ${message.trim().split(/\s*\n\s*/).join('; ')}`;
}
