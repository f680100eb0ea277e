// datasets.prepare: decodes an image folder once into a prepared store, a directory the training reads
// (datasets.prepared) without decoding again and without holding it in memory:
//   manifest.json  what it holds (format 'pof-prepared', version 1; see PreparedManifest)
//   inputs.npy     uint8 [N, C, H, W]
//   labels.npy     int64 [N]
// Everything is written into OUT.partial, renamed to OUT when complete. Images go to disk a chunk at a time
// (memory stays bounded), and OUT.partial/progress.json records how far it got: the same call continues there.
import { constants, promises as fs } from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../checkpoint/atomic';
import { DatasetError, fileError, OptionError } from '../errors';
import { boolean, checkKeys, ownOptions } from '../options';
import { ChannelSums } from './channel-sums';
import { badImageError } from './image-decode';
import { CHUNK_IMAGES, checkDecoding, decodeFolder, folderOption, ImageFolderDecoding, SkippedImage } from './image-folder';
import { listImageFolder } from './image-folder-list';
import { npyHeader } from './npy-write';
import { fingerprintDifferences, fingerprintOf, meanStd, PrepareProgress, PROGRESS_FILE, readProgress, writeProgress } from './prepare-progress';
import { loadSharp } from './sharp';
import { STORE_INPUTS, STORE_LABELS, STORE_MANIFEST, type PreparedManifest } from './store-format';
import { makeDirectory } from '../make-directory';

export interface PrepareOptions extends ImageFolderDecoding {
  /** The image folder (one subfolder per class, as datasets.imageFolder reads). */
  source: string;
  /** The store's directory: it must not exist, unless `overwrite`. */
  out: string;
  /** Replace an existing `out`, and start over a partial one made with other options. */
  overwrite?: boolean;
}

export const PARTIAL_SUFFIX = '.partial';

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

export async function prepare(options: PrepareOptions): Promise<PreparedManifest> {
  const where = 'datasets.prepare';
  const o = ownOptions(where, options);
  checkKeys(where, o, ['source', 'out', 'imageSize', 'classes', 'channels', 'onBadImage', 'concurrency', 'onProgress', 'overwrite']);
  const source = folderOption(where, 'source', o.source);
  const out = path.resolve(folderOption(where, 'out', o.out));
  const overwrite = boolean(where, 'overwrite', o.overwrite ?? false);
  const d = checkDecoding(where, o);
  const sharp = loadSharp(where);
  const partial = out + PARTIAL_SUFFIX;
  if (!overwrite && await exists(out)) throw new OptionError(`${where}: ${out} already exists; choose another out, or pass overwrite: true (pof prepare: --overwrite) to replace it`);
  const listing = await listImageFolder(where, source, d.classes);
  if (out.startsWith(`${listing.root}/`)) {  // its .partial folder would be listed as a class on the next run
    throw new OptionError(`${where}: out (${out}) must not be inside the source folder ${listing.root}`);
  }
  const { height, width, channels } = d.spec;
  const fingerprint = fingerprintOf(listing, height, width, channels);
  const total = listing.files.length;

  let progress = await exists(partial) ? await readProgress(partial) : undefined;
  if (progress) {
    const differences = fingerprintDifferences(progress.fingerprint, fingerprint);
    if (differences.length > 0 && !overwrite) {
      throw new OptionError(`${where}: ${partial} is an interrupted prepare with another ${differences.join(', ')} ` +
        `(${differences.map((k) => `${k}: ${JSON.stringify(progress!.fingerprint[k])} there, ${JSON.stringify(fingerprint[k])} now`).join('; ')}); ` +
        'run it with the same options to continue it, or pass overwrite: true (pof prepare: --overwrite) to start over');
    }
    if (differences.length > 0) progress = undefined;
  } else if (await exists(partial) && !overwrite) {
    throw new OptionError(`${where}: ${partial} exists but holds no progress of a prepare; remove it, or pass overwrite: true (pof prepare: --overwrite)`);
  }
  const exampleBytes = channels * height * width;
  const inputsHeader = npyHeader('|u1', [total, channels, height, width]);
  const labelsHeader = npyHeader('<i8', [total]);
  if (!progress) {
    await fs.rm(partial, { recursive: true, force: true }).catch((error) => { throw fileError('remove', partial, error); });
    makeDirectory(partial, `cannot create ${partial}`);
    progress = { fingerprint, done: 0, examples: 0, skipped: [], sums: Array(channels).fill(0n), squares: Array(channels).fill(0n) };
    await preallocate(path.join(partial, STORE_INPUTS), inputsHeader, total * exampleBytes);
    await preallocate(path.join(partial, STORE_LABELS), labelsHeader, total * 8);
    await writeProgress(partial, progress);
  }
  const p: PrepareProgress = progress;

  const inputs = await openForUpdate(path.join(partial, STORE_INPUTS));
  const labels = await openForUpdate(path.join(partial, STORE_LABELS));
  try {
    // One chunk's pixels, labels and sums, written when the chunk is complete.
    const pixels = new Uint8Array(CHUNK_IMAGES * exampleBytes);
    const ids = new BigInt64Array(CHUNK_IMAGES);
    let held = 0;
    const chunkSums = () => new ChannelSums([0, channels, height, width]);
    let sums = chunkSums();
    await decodeFolder(where, sharp, listing, d, p.done, p.skipped, (index, image) => {
      pixels.set(image, held * exampleBytes);
      ids[held] = BigInt(listing.labels[index]);
      sums.add(image);
      held += 1;
    }, async (next) => {
      await writeAt(inputs, pixels.subarray(0, held * exampleBytes), inputsHeader.length + p.examples * exampleBytes);
      await writeAt(labels, new Uint8Array(ids.buffer, 0, held * 8), labelsHeader.length + p.examples * 8);
      await inputs.datasync();
      await labels.datasync();
      for (let c = 0; c < channels; c += 1) {
        p.sums[c] += sums.sums[c];
        p.squares[c] += sums.squares[c];
      }
      p.examples += held;
      p.done = next;
      held = 0;
      sums = chunkSums();
      await writeProgress(partial, p);
    });
    const n = p.examples;
    if (n === 0) throw badImageError(where, listing.root, `none of its ${total} images could be decoded`);
    if (n < total) {  // skipped images: the files end earlier, and their headers say so (padded to the same length)
      await writeAt(inputs, npyHeader('|u1', [n, channels, height, width], inputsHeader.length), 0);
      await writeAt(labels, npyHeader('<i8', [n], labelsHeader.length), 0);
      await inputs.truncate(inputsHeader.length + n * exampleBytes);
      await labels.truncate(labelsHeader.length + n * 8);
    }
    await inputs.sync();
    await labels.sync();
  } catch (error) {
    throw fileError('write', partial, error);
  } finally {
    await inputs.close();
    await labels.close();
  }

  const skippedFiles = new Set(p.skipped.map((s) => s.file));
  const manifest: PreparedManifest = {
    format: 'pof-prepared', version: 1, kind: 'pixels', dtype: 'uint8', examples: p.examples, shape: [channels, height, width],
    numClasses: listing.classes.length, classes: listing.classes, files: listing.files.filter((f) => !skippedFiles.has(f)),
    source: listing.root, ...meanStd(p, BigInt(p.examples) * BigInt(height * width)), skipped: p.skipped, created: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(partial, STORE_MANIFEST), Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
  try {
    if (overwrite) await fs.rm(out, { recursive: true, force: true });
    await fs.rename(partial, out);
    // Only now: a crash before the rename leaves a partial store whose progress says it is done, and the next run renames it.
    await fs.rm(path.join(out, PROGRESS_FILE), { force: true });
  } catch (error) {
    throw fileError('create', out, error);
  }
  return manifest;
}

/** A new file of `header` then `dataBytes` zero bytes (sparse until written). */
async function preallocate(file: string, header: Buffer, dataBytes: number): Promise<void> {
  try {
    await fs.writeFile(file, header, { flag: 'wx' });
    await fs.truncate(file, header.length + dataBytes);
  } catch (error) {
    throw fileError('write', file, error);
  }
}

async function openForUpdate(file: string): Promise<fs.FileHandle> {
  // Non-blocking: a FIFO put in its place cannot hang the open.
  const handle = await fs.open(file, constants.O_RDWR | constants.O_NONBLOCK).catch((error) => { throw fileError('open', file, error); });
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new DatasetError(`${file} is not a regular file: the partial store is damaged; pass overwrite: true to start over`);
  }
  return handle;
}

async function writeAt(handle: fs.FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
}
