// Finding a dataset's files on disk and reading them, with errors that say what to do.
import * as path from 'path';

import { DatasetError, OptionError } from '../errors';
import { show } from '../options';
import { assertNotSpecialFile, readRegularFile } from '../file-access';

/** A dataset file is missing, truncated or corrupt. The message names the file and the problem. */
export { DatasetError };

export const DOWNLOADS = {
  cifar: 'https://www.cs.toronto.edu/~kriz/cifar.html',
  svhn: 'http://ufldl.stanford.edu/housenumbers/',
  fashionMnist: 'https://github.com/zalandoresearch/fashion-mnist',
  mnist: 'https://yann.lecun.com/exdb/mnist/',
} as const;

/** `word` as the shell reads it back: quoted when it holds anything but the characters of plain paths. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The end of a reader's "missing file" error: the `pof download` command that fetches `dataset` into
 * `dir` (with `flags`, e.g. ' --svhn-extra'), and the dataset's official page.
 */
export function downloadHint(dataset: string, dir: string, page: string, flags = ''): string {
  return `download it with: pof download ${dataset} --dir ${shellWord(dir)}${flags} (or get the official release from ${page})`;
}

/** The directory a reader is given: a path (an OptionError naming the reader otherwise). */
export function checkDatasetDir(where: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir === '') {
    throw new OptionError(`${where}: dir must be the path of the directory holding the dataset's download, got ${show(dir)}`);
  }
  return dir;
}

/**
 * Whether a dataset file is there: false when nothing is, a FileError when something other than a regular
 * file is in its place (a FIFO, a device or a directory is not a missing file, and reading it would block).
 */
const isFile = (dataset: string, file: string): boolean => assertNotSpecialFile(dataset, file);

/**
 * The first of `candidates` (directories) that holds every one of `files`; otherwise an error naming
 * the directories, the files expected and how to download them (`hint`, from downloadHint).
 */
export async function findDatasetDir(dataset: string, candidates: string[], files: string[], hint: string): Promise<string> {
  for (const candidate of candidates) {
    const present = files.map((f) => isFile(dataset, path.join(candidate, f)));
    if (present.every(Boolean)) return candidate;
  }
  throw new DatasetError(
    `${dataset}: expected the files ${files.join(', ')} in ${candidates.join(' or ')}, but not all are there; ${hint}`,
  );
}

/**
 * Resolves each logical file name to `name` or `name.gz`, whichever exists in `dir`; an error naming
 * the directory, all expected files and how to download them (`hint`) when one is missing.
 */
export async function findPlainOrGzipped(dataset: string, dir: string, names: string[], hint: string): Promise<string[]> {
  const found: string[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const plain = path.join(dir, name);
    if (isFile(dataset, plain)) found.push(plain);
    else if (isFile(dataset, `${plain}.gz`)) found.push(`${plain}.gz`);
    else missing.push(`${name}[.gz]`);
  }
  if (missing.length > 0) {
    throw new DatasetError(
      `${dataset}: missing ${missing.join(', ')} in ${dir} (expected ${names.map((n) => `${n}[.gz]`).join(', ')}); ${hint}`,
    );
  }
  return found;
}

/** True when `bytes` start with the gzip magic 1f 8b (whatever the file is called). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The bytes of a dataset file (a DatasetError when it is larger than one buffer can hold). */
export function readDatasetFile(file: string): Promise<Buffer> {
  return readRegularFile(file, { tooLarge: (message) => new DatasetError(message) });
}
