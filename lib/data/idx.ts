// The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, element type, rank), the
// dimensions as big-endian uint32, then the elements in row-major order.
import { DatasetError, readMaybeGzipped } from './dataset-files';

const UNSIGNED_BYTE = 0x08;

export interface IdxArray {
  dims: number[];
  /** The elements, a view into the file's bytes (no copy). */
  data: Uint8Array;
}

/** Parses an IDX file of unsigned bytes with the given rank; `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank: number): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetError(`${file}: not an IDX file (bad magic: expected 00 00 08 0${expectedRank})`);
  }
  const type = bytes[2];
  const rank = bytes[3];
  if (type !== UNSIGNED_BYTE) {
    throw new DatasetError(`${file}: IDX element type 0x${type.toString(16).padStart(2, '0')} is not supported (expected 0x08, unsigned byte)`);
  }
  if (rank !== expectedRank) throw new DatasetError(`${file}: IDX rank ${rank}, expected ${expectedRank}`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new DatasetError(`${file}: truncated IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i += 1) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== count) {
    throw new DatasetError(
      `${file}: the header declares ${dims.join('×')} = ${count} bytes of data but the file holds ${actual}` +
        ` (${actual < count ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
}

/** Reads an IDX file, raw or gzip-compressed (detected by content, not by name). */
export async function readIdx(file: string, expectedRank: number): Promise<IdxArray> {
  return parseIdx(await readMaybeGzipped(file), file, expectedRank);
}
