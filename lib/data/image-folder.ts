// datasets.imageFolder: a folder of images, one subfolder per class (torchvision's ImageFolder), decoded into
// memory as pixels uint8 [N, C, H, W]. datasets.prepare decodes the same way into files on disk instead.
import { checkKeys, integer, oneOf, optionalFunction, OptionError, ownOptions, show } from '../options';
import { badImageError, decodeChunk, DecodeSpec, defaultConcurrency, SkippedImage } from './image-decode';
import { FolderListing, listImageFolder } from './image-folder-list';
import { loadSharp, Sharp } from './sharp';
import type { ImageSet } from './types';

export type { SkippedImage };

export interface ImageFolderProgress {
  /** Files handled so far (decoded or skipped), of `total`. */
  done: number;
  total: number;
  skipped: number;
  imagesPerSecond: number;
}

/** What an image folder is decoded as; shared by imageFolder and prepare. */
export interface ImageFolderDecoding {
  /** The side of the square images, or [height, width]: the shorter side is resized to fit, the centre cropped. */
  imageSize: number | [number, number];
  /** Class folder names in label order (others are ignored); default: every subfolder, sorted. */
  classes?: string[];
  /** 3 (RGB: grey expanded, alpha dropped; the default) or 1 (greyscale). */
  channels?: 1 | 3;
  /** A file that cannot be read or decoded: 'error' (the default) fails naming it, 'skip' leaves it out. */
  onBadImage?: 'error' | 'skip';
  /** Files decoded at once (default: the number of cores). */
  concurrency?: number;
  onProgress?: (progress: ImageFolderProgress) => void;
}

export interface ImageFolderOptions extends ImageFolderDecoding {
  dir: string;
  /** Default: the folder's name. */
  name?: string;
}

/** The decoded set with where each example came from. */
export interface ImageFolderSet extends ImageSet {
  kind: 'pixels';
  images: Uint8Array;
  labels: Int32Array;
  /** Class names by label. */
  classes: string[];
  /** Each example's path relative to the folder, in order. */
  files: string[];
  /** The files left out with onBadImage: 'skip'. */
  skipped: SkippedImage[];
}

/** Images decoded per step: progress is reported, and prepare records where it is, after each. */
export const CHUNK_IMAGES = 256;

export interface CheckedDecoding {
  spec: DecodeSpec;
  classes?: string[];
  skipBad: boolean;
  concurrency: number;
  onProgress?: (progress: ImageFolderProgress) => void;
}

/** A folder's path given as an option. */
export function folderOption(where: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw new OptionError(`${where}: ${name} must be a folder's path, got ${show(value)}`);
  }
  return value;
}

export function checkDecoding(where: string, o: ImageFolderDecoding): CheckedDecoding {
  const size = o.imageSize;
  if (size === undefined) throw new OptionError(`${where}: imageSize is required (a number, or [height, width])`);
  const [height, width] = typeof size === 'number' ? [size, size]
    : Array.isArray(size) && size.length === 2 ? size : [NaN, NaN];
  if (Number.isNaN(height)) throw new OptionError(`${where}: imageSize must be a number or [height, width], got ${show(size)}`);
  const channels = o.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new OptionError(`${where}: channels must be 1 or 3, got ${show(channels)}`);
  if (o.classes !== undefined) {
    if (!Array.isArray(o.classes) || o.classes.length === 0 || o.classes.some((c) => typeof c !== 'string' || c === '' || c.includes('/'))) {
      throw new OptionError(`${where}: classes must be a non-empty array of folder names, got ${show(o.classes)}`);
    }
    const twice = o.classes.find((c, i) => o.classes!.indexOf(c) !== i);
    if (twice !== undefined) throw new OptionError(`${where}: classes names '${twice}' twice`);
  }
  return {
    spec: { height: integer(where, 'imageSize', height, 1), width: integer(where, 'imageSize', width, 1), channels },
    classes: o.classes && [...o.classes],
    skipBad: oneOf(where, 'onBadImage', o.onBadImage ?? 'error', ['error', 'skip']) === 'skip',
    concurrency: integer(where, 'concurrency', o.concurrency ?? defaultConcurrency(), 1),
    onProgress: optionalFunction(where, 'onProgress', o.onProgress),
  };
}

/**
 * Decodes the files of `listing` from index `from`, a chunk at a time, handing each good image (its index
 * among the files and its pixels) to `take` in order; bad ones go to `skipped` or fail. `afterChunk` runs once
 * a chunk is taken, with the index the next chunk starts at.
 */
export async function decodeFolder(where: string, sharp: Sharp, listing: FolderListing, d: CheckedDecoding, from: number,
  skipped: SkippedImage[], take: (index: number, pixels: Uint8Array) => void, afterChunk: (next: number) => Promise<void>): Promise<void> {
  const paths = listing.files.map((f) => `${listing.root}/${f}`);
  const started = Date.now();
  for (let start = from; start < paths.length; start += CHUNK_IMAGES) {
    const chunk = await decodeChunk(sharp, paths, start, Math.min(CHUNK_IMAGES, paths.length - start), d.spec, d.concurrency);
    chunk.images.forEach((image, i) => {
      if (typeof image !== 'string') return take(start + i, image);
      if (!d.skipBad) throw badImageError(where, paths[start + i], image);
      skipped.push({ file: listing.files[start + i], reason: image });
    });
    const done = start + chunk.images.length;
    await afterChunk(done);
    const seconds = (Date.now() - started) / 1000;
    d.onProgress?.({ done, total: paths.length, skipped: skipped.length, imagesPerSecond: seconds > 0 ? (done - from) / seconds : 0 });
  }
}

export async function imageFolder(options: ImageFolderOptions): Promise<ImageFolderSet> {
  const where = 'datasets.imageFolder';
  const o = ownOptions(where, options);
  checkKeys(where, o, ['dir', 'imageSize', 'classes', 'channels', 'onBadImage', 'name', 'concurrency', 'onProgress']);
  const dir = folderOption(where, 'dir', o.dir);
  if (o.name !== undefined && typeof o.name !== 'string') throw new OptionError(`${where}: name must be a string, got ${show(o.name)}`);
  const d = checkDecoding(where, o);
  const sharp = loadSharp(where);
  const listing = await listImageFolder(where, dir, d.classes);
  const { height, width, channels } = d.spec;
  const exampleBytes = channels * height * width;
  const total = listing.files.length;
  let images: Uint8Array;
  try {
    images = new Uint8Array(total * exampleBytes);
  } catch (error) {
    throw new OptionError(`${where}: ${total} images of ${channels} x ${height} x ${width} do not fit in memory here ` +
      `(${(error as Error).message}); datasets.prepare writes them to disk instead`);
  }
  const labels = new Int32Array(total);
  const files: string[] = [];
  const skipped: SkippedImage[] = [];
  await decodeFolder(where, sharp, listing, d, 0, skipped, (index, pixels) => {
    images.set(pixels, files.length * exampleBytes);
    labels[files.length] = listing.labels[index];
    files.push(listing.files[index]);
  }, async () => {});
  const n = files.length;
  if (n === 0) throw badImageError(where, listing.root, `none of its ${total} images could be decoded`);
  return {
    name: o.name ?? listing.root.split('/').pop()!,
    kind: 'pixels',
    images: n === total ? images : images.slice(0, n * exampleBytes),
    labels: n === total ? labels : labels.slice(0, n),
    shape: [n, channels, height, width],
    numClasses: listing.classes.length,
    classes: listing.classes,
    files,
    skipped,
  };
}
