// The errors pof-torch throws: one class per kind of failure, each with a stable `code`, so callers branch
// on `err.code` (or `instanceof`) and never on message text. Native errors arrive with one of these codes
// (native/errors.h) and are made as the matching class (lib/addon.ts gives the addon NATIVE_ERROR_CLASSES).
// Each kind's code is written once, in KINDS at the end of this file; a subclass takes only a message.

export type PoFErrorCode = (typeof KINDS)[number]['code'];

export class PoFError extends Error {
  readonly code: PoFErrorCode;
  /** `code`: by default the one KINDS gives this class (or the nearest class it extends). */
  constructor(message: string, code?: PoFErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code ?? kindOf(new.target).code;
    this.name = new.target.name;
  }
  /** A mistake of the caller (bad option, file, data or device) rather than a failure while running. */
  get isUserError(): boolean {
    return KINDS.some((k) => k.code === this.code && k.user);
  }
}

/** An option, argument or model description is invalid: the message names it, its value and what was expected. */
export class OptionError extends PoFError {
  constructor(message: string) { super(message); }
}

/** A dataset (file or arrays) is missing, truncated, corrupt or does not fit the model. */
export class DatasetError extends PoFError {
  constructor(message: string) { super(message); }
}

/** A checkpoint or weights file is missing, corrupt, or does not match the model or run. */
export class CheckpointError extends PoFError {
  constructor(message: string) { super(message); }
}

/** The device asked for does not exist in this build or on this machine. */
export class DeviceError extends PoFError {
  constructor(message: string) { super(message); }
}

/** Another operation is running on the same model; the running one goes on untouched. */
export class BusyError extends PoFError {
  constructor(message: string) { super(message); }
}

/** A loss, weight or input is NaN or infinite: the message names the tensor, example or step. */
export class NonFiniteError extends PoFError {
  constructor(message: string) { super(message); }
}

/** A file or directory could not be read or written: the message names the path and the cause. */
export class FileError extends PoFError {
  readonly path: string;
  readonly syscallCode?: string;
  constructor(message: string, path: string, syscallCode?: string, cause?: unknown) {
    super(message, undefined, { cause });
    this.path = path;
    this.syscallCode = syscallCode;
  }
}

/** The trainer was disposed: its tensors are freed and it cannot be used any more. */
export class DisposedError extends PoFError {
  constructor(message: string) { super(message); }
}

/**
 * Another rank of a data-parallel job died, hung past the timeout or never came: the message names this
 * rank, the collective and the store. The job cannot go on; its last checkpoint is intact.
 */
export class DistributedError extends PoFError {
  constructor(message: string) { super(message); }
}

/**
 * The input is valid PyTorch but uses a feature this runtime does not support (a TorchBind custom object in an
 * archive, control-flow operators, tensor subclasses): not the caller's mistake; the message says what to change.
 */
export class UnsupportedError extends PoFError {
  constructor(message: string) { super(message); }
}

/**
 * A dataset download failed: the server answered with an error, the connection broke or stalled, or the file
 * does not have its published checksum. The message names the URL or file; running the download again resumes it.
 */
export class DownloadError extends PoFError {
  constructor(message: string) { super(message); }
}

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

/**
 * Every kind of error: its code, its class, whether it is the caller's mistake (`isUserError`: the CLI's exit
 * code 2), and whether the native side raises it (native/errors.h has the same codes).
 */
const KINDS = [
  { code: 'ERR_POF_OPTION', class: OptionError, user: true, native: true },
  { code: 'ERR_POF_DATASET', class: DatasetError, user: true, native: true },
  { code: 'ERR_POF_CHECKPOINT', class: CheckpointError, user: true, native: true },
  { code: 'ERR_POF_DEVICE', class: DeviceError, user: true, native: true },
  { code: 'ERR_POF_BUSY', class: BusyError, user: true, native: true },
  { code: 'ERR_POF_NON_FINITE', class: NonFiniteError, user: false, native: true },
  { code: 'ERR_POF_IO', class: FileError, user: false, native: false },
  { code: 'ERR_POF_DISPOSED', class: DisposedError, user: true, native: true },
  { code: 'ERR_POF_DISTRIBUTED', class: DistributedError, user: false, native: true },
  { code: 'ERR_POF_DOWNLOAD', class: DownloadError, user: false, native: false },
  { code: 'ERR_POF_UNSUPPORTED', class: UnsupportedError, user: false, native: true },
  { code: 'ERR_POF_INTERNAL', class: PoFError, user: false, native: true },
] as const;

/** The kind of an error class: its own row, or that of the nearest class it extends (UsageError: OptionError's). */
function kindOf(target: Function): (typeof KINDS)[number] {
  for (let c: unknown = target; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    const kind = KINDS.find((k) => k.class === c);
    if (kind) return kind;
  }
  throw new Error(`${target.name} is not a PoFError class`);
}

/** The class native errors of each code are made as (the addon's setErrorClasses). */
export const NATIVE_ERROR_CLASSES: Record<string, new (message: string) => PoFError> =
  Object.fromEntries(KINDS.filter((k) => k.native).map((k) => [k.code, k.class]));
