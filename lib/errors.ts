// The errors pof-torch throws: one class per kind of failure, each with a stable `code`, so callers branch
// on `err.code` (or `instanceof`) and never on message text. Native errors arrive with one of these codes
// (native/errors.h) and are made as the matching class (lib/native.ts gives the addon these classes).

export type PoFErrorCode =
  | 'ERR_POF_OPTION' | 'ERR_POF_DATASET' | 'ERR_POF_CHECKPOINT' | 'ERR_POF_DEVICE' | 'ERR_POF_BUSY'
  | 'ERR_POF_NON_FINITE' | 'ERR_POF_IO' | 'ERR_POF_DISPOSED' | 'ERR_POF_DISTRIBUTED' | 'ERR_POF_DOWNLOAD' | 'ERR_POF_INTERNAL';

export class PoFError extends Error {
  readonly code: PoFErrorCode;
  constructor(message: string, code: PoFErrorCode = 'ERR_POF_INTERNAL', options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  /** A mistake of the caller (bad option, file, data or device) rather than a failure while running. */
  get isUserError(): boolean {
    return USER_CODES.has(this.code);
  }
}

/** An option, argument or model description is invalid: the message names it, its value and what was expected. */
export class OptionError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_OPTION'); }
}

/** A dataset (file or arrays) is missing, truncated, corrupt or does not fit the model. */
export class DatasetError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_DATASET'); }
}

/** A checkpoint or weights file is missing, corrupt, or does not match the model or run. */
export class CheckpointError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_CHECKPOINT'); }
}

/** The device asked for does not exist in this build or on this machine. */
export class DeviceError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_DEVICE'); }
}

/** Another operation is running on the same model; the running one goes on untouched. */
export class BusyError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_BUSY'); }
}

/** A loss, weight or input is NaN or infinite: the message names the tensor, example or step. */
export class NonFiniteError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_NON_FINITE'); }
}

/** A file or directory could not be read or written: the message names the path and the cause. */
export class FileError extends PoFError {
  readonly path: string;
  readonly syscallCode?: string;
  constructor(message: string, path: string, syscallCode?: string, cause?: unknown) {
    super(message, 'ERR_POF_IO', { cause });
    this.path = path;
    this.syscallCode = syscallCode;
  }
}

/** The trainer was disposed: its tensors are freed and it cannot be used any more. */
export class DisposedError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_DISPOSED'); }
}

/**
 * Another rank of a data-parallel job died, hung past the timeout or never came: the message names this
 * rank, the collective and the store. The job cannot go on; its last checkpoint is intact.
 */
export class DistributedError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_DISTRIBUTED'); }
}

/**
 * A dataset download failed: the server answered with an error, the connection broke or stalled, or the file
 * does not have its published checksum. The message names the URL or file; running the download again resumes it.
 */
export class DownloadError extends PoFError {
  constructor(message: string) { super(message, 'ERR_POF_DOWNLOAD'); }
}

const USER_CODES = new Set<PoFErrorCode>(['ERR_POF_OPTION', 'ERR_POF_DATASET', 'ERR_POF_CHECKPOINT', 'ERR_POF_DEVICE',
  'ERR_POF_BUSY', 'ERR_POF_DISPOSED']);

const ERRNO_CAUSES: Record<string, string> = {
  ENOENT: 'it does not exist',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EIO: 'an input/output error',
  EFBIG: 'the file is too large',
};

/**
 * A Node file-system error as a FileError naming the path and the cause in words
 * ("cannot write /x/model.safetensors: no space left on the device (ENOSPC)"); other errors pass through.
 */
export function fileError(action: string, file: string, error: unknown): unknown {
  const e = error as NodeJS.ErrnoException;
  if (error instanceof PoFError || typeof e?.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return error;
  const cause = ERRNO_CAUSES[e.code] ?? (e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, ''));
  return new FileError(`cannot ${action} ${file}: ${cause} (${e.code})`, file, e.code, error);
}
