// Image files written with sharp for the image-folder tests: planar pixels in, an encoded file out.
import { mkdirSync } from 'fs';
import * as path from 'path';
import { loadSharp } from '../../lib/data/sharp';

/** Writes planar uint8 [C, H, W] pixels to `file` in the format its extension names (PNG and lossless WebP keep them exactly). */
export async function writeImage(file: string, pixels: Uint8Array, channels: number, height: number, width: number,
  orientation?: number): Promise<void> {
  const sharp = loadSharp('test');
  const plane = height * width;
  const hwc = Buffer.alloc(plane * channels);
  for (let i = 0; i < plane; i += 1) for (let c = 0; c < channels; c += 1) hwc[i * channels + c] = pixels[c * plane + i];
  mkdirSync(path.dirname(file), { recursive: true });
  let image = sharp(hwc, { raw: { width, height, channels: channels as 1 | 3 | 4 } });
  if (orientation !== undefined) image = image.withMetadata({ orientation });
  const ext = path.extname(file);
  if (ext === '.png') image = image.png();
  else if (ext === '.webp') image = image.webp({ lossless: true });
  else if (ext === '.jpg') image = image.jpeg({ quality: 95 });
  else throw new Error(`writeImage: no encoder for ${ext}`);
  await image.toFile(file);
}

/** Planar [C, H, W] pixels that differ at every position and channel (a transposed or shifted read gives others). */
export function planar(channels: number, height: number, width: number, salt = 0): Uint8Array {
  return Uint8Array.from({ length: channels * height * width }, (_, i) => (salt * 37 + i * 11 + ((i * i) % 7)) & 0xff);
}
