// One image file as uint8 pixels [C, H, W], decoded by sharp the way torchvision's usual pipeline sees it:
// EXIF orientation applied, the shorter side resized to fit and the centre cropped (Resize + CenterCrop),
// 3 channels (grey expanded, alpha dropped as PIL's convert('RGB') drops it) or 1 (libvips' luminance).
// Files are decoded a chunk at a time, several at once, and handed on in order.
import * as os from 'os';
import { DatasetError, PoFError } from '../errors';
import { readRegularFile } from '../file-access';
import type { Sharp } from './sharp';

export interface DecodeSpec {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** An image that could not be read or decoded: the file (relative to the folder) and why. */
export interface SkippedImage {
  file: string;
  reason: string;
}

/** No image file is larger (a 16k x 16k uncompressed TIFF is 0.8 GB): a bigger one is reported, not read. */
const MAX_IMAGE_BYTES = 1 << 30;

/** The pixels of `file` in C, H, W order, or why it cannot be had. */
export async function decodeImage(sharp: Sharp, file: string, spec: DecodeSpec): Promise<Uint8Array | string> {
  let bytes: Buffer;
  try {
    // Never sharp(path): a FIFO named x.png would block a libvips thread.
    bytes = await readRegularFile(file, { maxBytes: MAX_IMAGE_BYTES });
  } catch (error) {
    if (error instanceof PoFError) return error.message;
    throw error;
  }
  if (!isRasterImage(bytes)) {
    return 'is not a JPEG, PNG, WebP, GIF, TIFF or AVIF image (by its first bytes); other formats, SVG and PDF among them, are not decoded';
  }
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    let image = sharp(bytes).autoOrient().resize(spec.width, spec.height, { fit: 'cover', position: 'centre' }).removeAlpha();
    image = spec.channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    raw = await image.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    return `cannot decode the image: ${(error as Error).message}`;
  }
  const { width, height, channels } = raw.info;
  if (width !== spec.width || height !== spec.height || channels !== spec.channels) {
    return `decoded as ${channels} x ${height} x ${width}, expected ${spec.channels} x ${spec.height} x ${spec.width}`;
  }
  return toPlanar(raw.data, spec);
}

/**
 * Each raster format's signatures: [offset, bytes] pairs that must all match. sharp goes by content, not by name:
 * an SVG named x.png would be rendered by librsvg (and could name other files), so only these reach it.
 */
const RASTER_SIGNATURES: [number, string][][] = [
  [[0, '\xff\xd8\xff']], // JPEG
  [[0, '\x89PNG\r\n\x1a\n']], // PNG
  [[0, 'GIF87a']], [[0, 'GIF89a']], // GIF
  [[0, 'RIFF'], [8, 'WEBP']], // WebP
  [[0, 'II*\x00']], [[0, 'MM\x00*']], // TIFF, little- and big-endian
  [[4, 'ftypavif']], [[4, 'ftypavis']], // AVIF
];

function isRasterImage(bytes: Buffer): boolean {
  return RASTER_SIGNATURES.some((parts) => parts.every(([at, text]) =>
    bytes.subarray(at, at + text.length).equals(Buffer.from(text, 'latin1'))));
}

/** sharp's interleaved H, W, C as planar C, H, W. */
function toPlanar(hwc: Buffer, { height, width, channels }: DecodeSpec): Uint8Array {
  if (channels === 1) return new Uint8Array(hwc.buffer, hwc.byteOffset, hwc.length);
  const plane = height * width;
  const out = new Uint8Array(plane * channels);
  for (let i = 0; i < plane; i += 1) {
    for (let c = 0; c < channels; c += 1) out[c * plane + i] = hwc[i * channels + c];
  }
  return out;
}

export interface DecodedChunk {
  /** The index of the chunk's first file. */
  start: number;
  /** One entry per file: its pixels, or why it failed. */
  images: (Uint8Array | string)[];
}

/** Decodes files[start, start + count) with at most `concurrency` at once; results keep the files' order. */
export async function decodeChunk(sharp: Sharp, files: string[], start: number, count: number, spec: DecodeSpec,
  concurrency: number): Promise<DecodedChunk> {
  const images: (Uint8Array | string)[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      images[i] = await decodeImage(sharp, files[start + i], spec);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { start, images };
}

/** Files decoded at once by default: one per core (libvips threads each image too). */
export function defaultConcurrency(): number {
  return os.availableParallelism();
}

/** The error for a bad image when bad images are not skipped. */
export function badImageError(where: string, file: string, reason: string): DatasetError {
  return new DatasetError(`${where}: ${file}: ${reason} (onBadImage: 'skip' leaves it out)`);
}
