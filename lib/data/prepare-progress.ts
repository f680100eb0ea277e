// Where an interrupted datasets.prepare stopped: OUT.partial/progress.json, replaced atomically after each chunk
// once the chunk's pixels and labels are on disk. It holds what the run was asked (so that another run continues
// it only when asked the same) and exact running sums of the pixels (integers, as decimal strings) for mean/std.
import { createHash } from 'crypto';
import * as path from 'path';
import { writeFileAtomic } from '../checkpoint/atomic';
import { readRegularFile } from '../file-access';
import type { SkippedImage } from './image-decode';
import type { FolderListing } from './image-folder-list';

export interface Fingerprint {
  source: string;
  imageSize: [number, number];
  channels: number;
  classes: string[];
  /** sha256 of the files and their labels, in order. */
  files: string;
}

export interface PrepareProgress {
  fingerprint: Fingerprint;
  /** Files handled (decoded or skipped), from the first. */
  done: number;
  /** Examples written. */
  examples: number;
  skipped: SkippedImage[];
  /** Per channel: the sum of the pixel values (0..255) and of their squares. */
  sums: bigint[];
  squares: bigint[];
}

export const PROGRESS_FILE = 'progress.json';

export function fingerprintOf(listing: FolderListing, height: number, width: number, channels: number): Fingerprint {
  const files = createHash('sha256').update(JSON.stringify([listing.files, Array.from(listing.labels)])).digest('hex');
  return { source: listing.root, imageSize: [height, width], channels, classes: listing.classes, files };
}

/** The fields in which two fingerprints differ ('files': the folder's contents changed). */
export function fingerprintDifferences(a: Fingerprint, b: Fingerprint): (keyof Fingerprint)[] {
  return (Object.keys(a) as (keyof Fingerprint)[]).filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

export async function writeProgress(dir: string, p: PrepareProgress): Promise<void> {
  const text = JSON.stringify({ ...p, sums: p.sums.map(String), squares: p.squares.map(String) });
  await writeFileAtomic(path.join(dir, PROGRESS_FILE), Buffer.from(text));
}

/** The progress in `dir`, or undefined when there is none that can be read. */
export async function readProgress(dir: string): Promise<PrepareProgress | undefined> {
  try {
    const p = JSON.parse((await readRegularFile(path.join(dir, PROGRESS_FILE), { maxBytes: 1 << 30 })).toString('utf8'));
    return { ...p, sums: p.sums.map(BigInt), squares: p.squares.map(BigInt) };
  } catch {
    return undefined;
  }
}

/** Per-channel mean and (population) standard deviation on the 0..1 scale, from the exact sums over `count` values each. */
export function meanStd(p: Pick<PrepareProgress, 'sums' | 'squares'>, count: bigint): { mean: number[]; std: number[] } {
  const mean = p.sums.map((s) => Number(s) / Number(count) / 255);
  // n·Σx² − (Σx)² is exact in integers: no cancellation however many pixels there are.
  const std = p.sums.map((s, c) => Math.sqrt(Number(count * p.squares[c] - s * s)) / Number(count) / 255);
  return { mean, std };
}
