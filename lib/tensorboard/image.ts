// An image summary from PNG bytes: TensorBoard's Image message wants the size and colour space beside them,
// which the PNG's IHDR chunk holds (width and height at bytes 16 and 20, the colour type at byte 25).
import type { ImageSummary } from './event';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour type → TensorBoard colorspace (palette images count as RGB). */
const COLORSPACE: Record<number, number> = { 0: 1, 4: 2, 2: 3, 3: 3, 6: 4 };

export function pngImage(tag: string, png: Buffer): ImageSummary {
  if (png.length < 26 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new RangeError(`${tag}: not a PNG image`);
  }
  return { tag, width: png.readUInt32BE(16), height: png.readUInt32BE(20), colorspace: COLORSPACE[png[25]] ?? 4, encoded: png };
}
