// The IDX format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, element type, rank), the
// dimensions as big-endian uint32, then the elements in row-major order. Files may be gzipped; the
// header then bounds how much is inflated (see bounded-inflate).
import { inflateBounded } from '../bounded-inflate';
import { DatasetError, isGzip, readDatasetFile } from './dataset-files';

const UNSIGNED_BYTE = 0x08;
// Far beyond any real IDX dataset (EMNIST ByClass is 0.55 GB), below what one Buffer can hold.
const MAX_IDX_BYTES = 2 ** 31;

export interface IdxArray {
  dims: number[];
  /** The elements, a view into the file's bytes (no copy). */
  data: Uint8Array;
}

interface IdxHeader {
  dims: number[];
  headerBytes: number;
  /** Header plus data, in bytes. */
  totalBytes: number;
}

/**
 * The header at the start of `bytes`; undefined when `bytes` is too short to hold it and more may
 * come (`partial`). `itemName` names what the first dimension counts, for errors.
 */
function parseHeader(bytes: Uint8Array, file: string, expectedRank: number, itemName: string, partial: boolean): IdxHeader | undefined {
  if (partial && bytes.length < 4) return undefined;
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
  if (bytes.length < headerBytes) {
    if (partial) return undefined;
    throw new DatasetError(`${file}: truncated IDX header (${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i += 1) dims.push(view.getUint32(4 + 4 * i, false));
  // An empty split passes every later check and fails only inside training (a division by zero).
  if (dims[0] === 0) throw new DatasetError(`${file}: declares 0 ${itemName}; expected at least one`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_IDX_BYTES) {
    throw new DatasetError(`${file}: the IDX header declares ${dims.join('×')} = ${count} bytes of data, more than the limit of ${MAX_IDX_BYTES}`);
  }
  return { dims, headerBytes, totalBytes: headerBytes + count };
}

/**
 * Parses an uncompressed IDX file of unsigned bytes with the given rank; `file` names the source
 * in errors and `itemName` what the first dimension counts ('images', 'labels').
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank: number, itemName = 'items'): IdxArray {
  const { dims, headerBytes, totalBytes } = parseHeader(bytes, file, expectedRank, itemName, false)!;
  const count = totalBytes - headerBytes;
  const actual = bytes.length - headerBytes;
  if (actual !== count) {
    throw new DatasetError(
      `${file}: the header declares ${dims.join('×')} = ${count} bytes of data but the file holds ${actual}` +
        ` (${actual < count ? 'truncated' : 'trailing bytes'})`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) };
}

/** Parses IDX bytes, raw or gzip-compressed (detected by content, not by name). */
export async function decodeIdx(bytes: Uint8Array, file: string, expectedRank: number, itemName = 'items'): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, file, expectedRank, itemName);
  const inflated = await inflateBounded(bytes, {
    format: 'gzip',
    size: (head, complete) => parseHeader(head, file, expectedRank, itemName, !complete)?.totalBytes,
    maxBytes: MAX_IDX_BYTES + 4 + 4 * expectedRank,
    declared: 'the IDX header declares',
    stream: 'the gzip stream',
    error: (what) => new DatasetError(`${file}: ${what}`),
  });
  return parseIdx(inflated, file, expectedRank, itemName);
}

/** Reads an IDX file, raw or gzip-compressed (detected by content, not by name). */
export async function readIdx(file: string, expectedRank: number, itemName = 'items'): Promise<IdxArray> {
  return decodeIdx(await readDatasetFile(file), file, expectedRank, itemName);
}
