// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header, then the tensors' bytes. Each header entry names its
// dtype, shape and data_offsets [begin, end) relative to the start of the byte buffer; the
// buffer is covered exactly, with no holes, overlaps or trailing bytes.
import * as os from 'os';
import { CheckpointError, OptionError } from '../errors';
import { writeFileAtomic } from './atomic';
import { findDuplicateKey } from './json-duplicate-key';
import { setOwn } from './own-property';
import { readCheckpointBytes } from './checkpoint-bytes';
import { assertTensorData, dtypeSize, elementCount, isDtype, isShape, tensorBytes, tensorFromBytes, TensorData, DTYPES } from './tensor-data';

/** The header's `__metadata__`: string keys and string values only (encode objects as JSON strings). */
export type SafetensorsMetadata = Record<string, string>;

export interface SafetensorsContents {
  tensors: Record<string, TensorData>;
  metadata: SafetensorsMetadata;
}

const METADATA_KEY = '__metadata__';
// The reference implementation refuses larger headers; so do we, before allocating a string for one.
const MAX_HEADER_BYTES = 100_000_000;

function assertLittleEndianHost(): void {
  // Typed arrays use the host's byte order; the format is little-endian.
  if (os.endianness() !== 'LE') throw new CheckpointError('safetensors: big-endian hosts are not supported');
}

/** Checks metadata; `error` makes the error (OptionError for what a caller passes, CheckpointError for a file). */
function assertMetadata(metadata: unknown, where: string, error: (message: string) => Error): asserts metadata is SafetensorsMetadata {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw error(`${where}: __metadata__ must be an object of strings`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw error(`${where}: __metadata__ value of '${key}' must be a string (JSON-encode objects), got ${value === null ? 'null' : typeof value}`);
    }
  }
}

/**
 * Encodes tensors (and optional string metadata) as safetensors, returned as chunks so large
 * tensors are not copied: the first chunk is the length and header, the rest view the tensors'
 * own memory. The header lists tensors in the given order; their bytes are laid out by
 * descending element size (stable), so every tensor starts aligned to its element size.
 */
export function encodeSafetensors(tensors: Record<string, TensorData>, metadata: SafetensorsMetadata = {}): Buffer[] {
  assertLittleEndianHost();
  assertMetadata(metadata, 'encodeSafetensors', (m) => new OptionError(m));
  const names = Object.keys(tensors);
  if (names.includes(METADATA_KEY)) throw new OptionError(`encodeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
  names.forEach((name) => assertTensorData(name, tensors[name]));

  const layout = [...names].sort((a, b) => dtypeSize(tensors[b].dtype) - dtypeSize(tensors[a].dtype));
  const offsets = new Map<string, [number, number]>();
  let end = 0;
  for (const name of layout) {
    const size = tensors[name].data.byteLength;
    offsets.set(name, [end, end + size]);
    end += size;
  }

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  for (const name of names) {
    setOwn(header, name, { dtype: tensors[name].dtype, shape: tensors[name].shape, data_offsets: offsets.get(name) });
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad with spaces so the byte buffer starts 8-byte aligned (8 + N is a multiple of 8).
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const head = Buffer.alloc(8 + headerLength, 0x20);
  head.writeBigUInt64LE(BigInt(headerLength), 0);
  json.copy(head, 8);
  return [head, ...layout.map((name) => {
    const bytes = tensorBytes(tensors[name]);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  })];
}

/**
 * Decodes a whole safetensors file. Tensors view `buffer` where their bytes are aligned for the
 * dtype (copies otherwise). Every structural problem is an error that starts with `fileName`.
 */
export function decodeSafetensors(buffer: Uint8Array, fileName = '<buffer>'): SafetensorsContents {
  assertLittleEndianHost();
  const fail = (what: string): never => { throw new CheckpointError(`${fileName}: not a valid safetensors file: ${what}`); };
  if (buffer.byteLength < 8) fail(`truncated: ${buffer.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) fail(`header length ${declared} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLength = Number(declared);
  if (8 + headerLength > buffer.byteLength) {
    fail(`header length ${headerLength} runs past the end of the file (${buffer.byteLength} bytes); the file is truncated`);
  }

  let header: unknown;
  const text = Buffer.from(buffer.buffer, buffer.byteOffset + 8, headerLength).toString('utf8');
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header must be a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const [outer, ...rest] = duplicate.path;
    fail(outer === undefined ? `duplicate tensor name '${duplicate.key}' in the header`
      : outer === METADATA_KEY && rest.length === 0 ? `duplicate ${METADATA_KEY} key '${duplicate.key}' in the header`
        : `tensor '${outer}': duplicate field '${[...rest, duplicate.key].join('.')}' in the header`);
  }

  const data = buffer.subarray(8 + headerLength);
  const metadata: SafetensorsMetadata = {};
  const entries: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, TensorData> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      assertMetadata(entry, `${fileName}: not a valid safetensors file`, (m) => new CheckpointError(m));
      for (const [key, value] of Object.entries(entry)) setOwn(metadata, key, value);
      continue;
    }
    const where = `tensor '${name}'`;
    if (typeof entry !== 'object' || entry === null) fail(`${where}: header entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(dtype)) fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.join(', ')})`);
    if (!isShape(shape)) fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      fail(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = elementCount(shape as number[]) * dtypeSize(dtype as TensorData['dtype']);
    if (end - begin !== expected) {
      fail(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} [${(shape as number[]).join(', ')}] needs ${expected}`);
    }
    if (end > data.byteLength) {
      fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the data (${data.byteLength} bytes); the file is truncated`);
    }
    entries.push({ name, begin, end });
    setOwn(tensors, name, tensorFromBytes(dtype as TensorData['dtype'], shape as number[], data.subarray(begin, end)));
  }

  // The tensors must tile the byte buffer exactly.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const { name, begin, end } of entries) {
    if (begin < covered) fail(`tensor '${name}' [${begin}, ${end}) overlaps tensor '${previous}' (which ends at ${covered})`);
    if (begin > covered) fail(`bytes [${covered}, ${begin}) before tensor '${name}' belong to no tensor`);
    covered = end;
    previous = name;
  }
  if (covered !== data.byteLength) fail(`${data.byteLength - covered} trailing bytes after the last tensor`);
  return { tensors, metadata };
}

/** Writes tensors and metadata to `path` as safetensors, atomically (see writeFileAtomic). */
export async function saveSafetensors(path: string, tensors: Record<string, TensorData>, metadata: SafetensorsMetadata = {}): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file. */
export async function loadSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readCheckpointBytes(path), path);
}
