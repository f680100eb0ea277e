// Downloading a dataset's official files into a directory so that its reader loads them: each file is
// fetched into a partial file (resumed when a run was interrupted), checked against its published MD5,
// and only then renamed to its name; an archive's members are then written (each atomically) where the
// reader looks, and the archive removed. Files already there and intact are not fetched again.
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { syncDirectory, writeFileAtomic } from '../checkpoint/atomic';
import { DownloadError, FileError, fileError, OptionError } from '../errors';
import { openRegularFile } from '../file-access';
import { boolean, checkKeys, integer, oneOf, optionalFunction } from '../options';
import { Catalogue, DOWNLOADABLE_DATASETS, DownloadableDataset, filesOf, mirrored, OFFICIAL_CATALOGUE, RemoteFile } from './catalogue';
import { fetchToPartial, FetchOptions } from './http-fetch';
import { extractTarGz } from './tar';
import { makeDirectory } from '../make-directory';

export interface DownloadProgress {
  /** The file's name in the download directory. */
  file: string;
  /** Bytes of it on disk so far, of `total`. */
  done: number;
  total: number;
  /** Where this request started: bytes an earlier, interrupted attempt had left. */
  resumedFrom: number;
}

export interface DownloadOptions {
  /** The files and checksums; default: the official ones (tests substitute their fixtures'). */
  catalogue?: Catalogue;
  /** Fetch from here instead: replaces the scheme and host of each official URL (e.g. http://127.0.0.1:8080). */
  mirror?: string;
  /** SVHN: also the extra split (1.3 GB). */
  svhnExtra?: boolean;
  /** Give up on a connection that sends nothing for this long, in ms (default 30000). */
  stallTimeoutMs?: number;
  /** Attempts after the first for a broken connection or a server error, each resuming (default 2). */
  retries?: number;
  /** The wait before each of them, in ms (default 1000). */
  retryDelayMs?: number;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number;
  /** What is being done, a line at a time (skips, resumes, retries, extraction). */
  log?: (line: string) => void;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadedFile {
  name: string;
  url: string;
  /** 'present': already there and intact; 'extracted': the archive was there, its members were not. */
  outcome: 'present' | 'extracted' | 'downloaded';
  /** The files the reader loads that came from it. */
  files: string[];
}

const OPTION_KEYS = ['catalogue', 'mirror', 'svhnExtra', 'stallTimeoutMs', 'retries', 'retryDelayMs', 'maxRedirects', 'log', 'onProgress'];

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** `mirror` as a base URL: http or https, nothing after the path. */
export function checkMirror(where: string, mirror: string): string {
  let url: URL | undefined;
  try {
    url = new URL(mirror);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    throw new OptionError(`${where}: the mirror must be an http:// or https:// URL such as http://127.0.0.1:8080, got '${mirror}'`);
  }
  return mirror;
}

/** The name of the partial file of `target`: fixed, so that the next run finds it and resumes. */
export function partialPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.partial`);
}

/** The MD5 of `file` as hex; undefined when there is no such file. */
async function md5Of(file: string): Promise<string | undefined> {
  const hash = createHash('md5');
  // Regular files only: a FIFO left where the file belongs would block the stream forever.
  const handle = await openRegularFile(file).catch((error) => {
    if ((error as FileError).syscallCode === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } catch (error) {
    throw fileError('read', file, error);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function sizeOrUndefined(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

async function fsStep<T>(action: string, file: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw fileError(action, file, error);
  }
}

interface Settings {
  dataset: DownloadableDataset;
  dir: string;
  mirror?: string;
  fetch: FetchOptions;
  log: (line: string) => void;
  onProgress?: (progress: DownloadProgress) => void;
}

/**
 * Downloads `dataset` into `dir` (created if needed) so that its reader loads it from there:
 * `datasets.cifar10(dir)` after `download('cifar10', dir)`. Returns what each file came to.
 */
export async function downloadDataset(dataset: DownloadableDataset, dir: string, options: DownloadOptions = {}): Promise<DownloadedFile[]> {
  const where = 'download';
  checkKeys(where, options, OPTION_KEYS);
  oneOf(where, 'dataset', dataset, DOWNLOADABLE_DATASETS);
  if (typeof dir !== 'string' || dir === '') throw new OptionError(`${where}: dir must be a directory path, got ${JSON.stringify(dir)}`);
  const svhnExtra = boolean(where, 'svhnExtra', options.svhnExtra ?? false);
  if (svhnExtra && dataset !== 'svhn') throw new OptionError(`${where}: svhnExtra applies to svhn only, not ${dataset}`);
  const settings: Settings = {
    dataset, dir,
    mirror: options.mirror === undefined ? undefined : checkMirror(where, options.mirror),
    fetch: {
      stallTimeoutMs: integer(where, 'stallTimeoutMs', options.stallTimeoutMs ?? 30_000, 1),
      retries: integer(where, 'retries', options.retries ?? 2, 0),
      retryDelayMs: integer(where, 'retryDelayMs', options.retryDelayMs ?? 1000, 0),
      maxRedirects: integer(where, 'maxRedirects', options.maxRedirects ?? 5, 0),
      log: optionalFunction(where, 'log', options.log),
    },
    log: optionalFunction<(line: string) => void>(where, 'log', options.log) ?? (() => undefined),
    onProgress: optionalFunction(where, 'onProgress', options.onProgress),
  };
  makeDirectory(dir, `cannot create ${dir}`);
  const downloaded: DownloadedFile[] = [];
  for (const file of filesOf(options.catalogue ?? OFFICIAL_CATALOGUE, dataset, svhnExtra)) downloaded.push(await downloadFile(file, settings));
  return downloaded;
}

async function downloadFile(file: RemoteFile, s: Settings): Promise<DownloadedFile> {
  const target = path.join(s.dir, file.name);
  const url = mirrored(file.url, s.mirror);
  const files = file.members ? file.members.map((m) => path.join(s.dir, m.path)) : [target];
  const report = (outcome: DownloadedFile['outcome']): DownloadedFile => ({ name: file.name, url, outcome, files });
  if (file.members) {
    // The archive's own checksum was verified when these were written; their sizes tell an intact set.
    const sizes = await Promise.all(files.map(sizeOrUndefined));
    if (sizes.every((size, i) => size === file.members![i].bytes)) {
      s.log(`${file.name}: already extracted (${file.members.map((m) => m.path).join(', ')}); skipped`);
      return report('present');
    }
  }
  const existing = await md5Of(target);
  const intact = existing === file.md5;
  if (intact) {
    s.log(`${file.name}: already present, MD5 verified${file.members ? '; extracting it' : '; skipped'}`);
  } else {
    if (existing !== undefined) s.log(`${file.name}: present, but its MD5 is ${existing}, not ${file.md5}; downloading it again`);
    await fetchVerified(file, target, url, s);
  }
  if (file.members) await extractMembers(file, target, s);
  return report(!intact ? 'downloaded' : file.members ? 'extracted' : 'present');
}

/** Fetches `file` from `url` into its partial file, checks its MD5, and renames it to `target`. */
async function fetchVerified(file: RemoteFile, target: string, url: string, s: Settings): Promise<void> {
  const partial = partialPathFor(target);
  const resumed = (await sizeOrUndefined(partial)) ?? 0;
  s.log(resumed > 0 && resumed <= file.bytes
    ? `${file.name}: resuming ${url} at ${megabytes(resumed)} of ${megabytes(file.bytes)}`
    : `${file.name}: downloading ${url} (${megabytes(file.bytes)})`);
  await fetchToPartial({ url, partial, bytes: file.bytes }, {
    ...s.fetch,
    onProgress: (done, total, resumedFrom) => s.onProgress?.({ file: file.name, done, total, resumedFrom }),
  });
  await fsStep('sync', partial, async () => {
    const handle = await fs.open(partial, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
  const actual = await md5Of(partial);
  if (actual !== file.md5) {
    await fsStep('remove', partial, () => fs.rm(partial, { force: true }));
    throw new DownloadError(`${file.name}: MD5 ${actual} differs from the published ${file.md5} (downloaded from ${url}); ` +
      `the corrupt download was removed: run pof download ${s.dataset} again to fetch it afresh`);
  }
  await fsStep('rename', target, () => fs.rename(partial, target));
  await fsStep('sync the directory of', target, () => syncDirectory(s.dir));
  s.log(`${file.name}: MD5 verified`);
}

/** Writes the archive's members the reader loads (each atomically), then removes the archive. */
async function extractMembers(file: RemoteFile, archive: string, s: Settings): Promise<void> {
  await extractTarGz(archive, file.members!, async (member, chunks) => {
    const out = path.join(s.dir, member.path);
    makeDirectory(path.dirname(out), `cannot create ${path.dirname(out)}`);
    await writeFileAtomic(out, chunks);
  }, (what) => new DownloadError(`${archive}: ${what}`));
  await fsStep('remove', archive, () => fs.rm(archive));
  s.log(`${file.name}: extracted ${file.members!.map((m) => m.path).join(', ')}; the archive was removed`);
}
