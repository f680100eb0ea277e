// A prepared store written by the test itself, independent of datasets.prepare: manifest.json, inputs.npy
// (uint8 [N, C, H, W]) and labels.npy (int64 [N]) holding an in-memory split's bytes.
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { ArraySet } from '../../lib';
import { npyBytes } from './npy-writer';

export function writeStore(dir: string, set: ArraySet, manifest: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const [n, c, h, w] = set.shape;
  writeFileSync(path.join(dir, 'inputs.npy'), npyBytes({ descr: '|u1', shape: set.shape, data: set.images as Uint8Array }));
  const labels = BigInt64Array.from(set.labels, (y) => BigInt(y));
  writeFileSync(path.join(dir, 'labels.npy'), npyBytes({ descr: '<i8', shape: [n], data: new Uint8Array(labels.buffer) }));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    format: 'pof-prepared', version: 1, kind: 'pixels', dtype: 'uint8', examples: n, shape: [c, h, w],
    numClasses: set.numClasses, classes: Array.from({ length: set.numClasses }, (_, k) => `class-${k}`),
    files: Array.from({ length: n }, (_, i) => `class-${set.labels[i]}/${i}.png`), source: '/nowhere',
    mean: set.normalization?.mean ?? Array(c).fill(0), std: set.normalization?.std ?? Array(c).fill(1), skipped: [],
    created: new Date(0).toISOString(), ...manifest,
  }));
  return dir;
}
