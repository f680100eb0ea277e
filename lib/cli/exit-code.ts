// How the `pof` command ends on an error: one line on stderr, and an exit code that tells a mistake in how
// it was called (2: fix the command line) from a failure while running (1: retrying or reporting may help).
import { FileError, fileError, PoFError } from '../errors';

/**
 * Errno codes that mean the path given is wrong (missing, not a regular file, too large, not writable), not that
 * the disk failed. EFTYPE: a FIFO, device or socket; EINVAL: a name the system refuses (lib/file-access.ts).
 */
const PATH_MISTAKES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENAMETOOLONG', 'ELOOP', 'EFTYPE', 'EFBIG', 'EINVAL']);

const EXIT_MISTAKE = 2;
const EXIT_FAILURE = 1;

function exitCodeFor(error: unknown): number {
  if (error instanceof FileError) return error.syscallCode !== undefined && PATH_MISTAKES.has(error.syscallCode) ? EXIT_MISTAKE : EXIT_FAILURE;
  if (error instanceof PoFError) return error.isUserError ? EXIT_MISTAKE : EXIT_FAILURE;
  return EXIT_FAILURE;
}

/** The message on one line: line breaks folded (a stack trace is no help to a user). */
function lineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('usage:')) return message;
  return `pof: ${message.trim().split(/\s*\n\s*/).join('; ')}`;
}

/** The line to print and the exit code for an error that ended a command. */
export function failure(error: unknown): { line: string; exitCode: number } {
  // An errno error that escaped with its path still names it, and the cause in words.
  const e = error as NodeJS.ErrnoException;
  const typed = !(error instanceof PoFError) && typeof e?.path === 'string' ? fileError(e.syscall ?? 'use', e.path, error) : error;
  return { line: lineOf(typed), exitCode: exitCodeFor(typed) };
}
