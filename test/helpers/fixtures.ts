// Temporary directories and recognisable pixel patterns for the dataset-reader tests.
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

const created: string[] = [];
process.on('exit', () => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh directory under the OS temp dir; removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pof-${prefix}-`));
  created.push(dir);
  return dir;
}

/**
 * [N, C, H, W] uint8 pixels where every index contributes with a different weight (h and w
 * differ), so a transposed, shifted or swapped read gives different bytes.
 */
export function patternImages(n: number, c: number, h: number, w: number, salt = 0): Uint8Array {
  const out = new Uint8Array(n * c * h * w);
  let i = 0;
  for (let ni = 0; ni < n; ni += 1) {
    for (let ci = 0; ci < c; ci += 1) {
      for (let hi = 0; hi < h; hi += 1) {
        for (let wi = 0; wi < w; wi += 1) out[i++] = (salt * 101 + ni * 67 + ci * 29 + hi * 7 + wi * 3 + ((hi * wi) % 5)) & 0xff;
      }
    }
  }
  return out;
}
