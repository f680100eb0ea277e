// NumPy's .npy format (numpy.lib.format): the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), the header's
// length (2 bytes in 1.0, 4 after), the header (a Python dict literal, parsed strictly here, never evaluated),
// then the elements. The data is read in bounded pieces straight into the typed array it ends in, so a file
// over 2 GiB works as long as that array fits Node's typed-array limit. Fortran order is turned into C order.
import { constants as bufferConstants } from 'buffer';
import type { promises as fs } from 'fs';
import { FLOAT32_MAX } from '../defaults';
import { halfToNumber } from '../checkpoint/tensor-data';
import { DatasetError, fileError } from '../errors';
import { openRegularFile } from '../file-access';
import { gatherStrided } from '../typed-array';
import { parseNpyHeader } from './npy-header';

/** The element types read, by the `descr` numpy writes for them (little-endian, or byte-sized). */
const DTYPES = {
  '|u1': { dtype: 'uint8', bytes: 1 },
  '|b1': { dtype: 'bool', bytes: 1 },
  '<f2': { dtype: 'float16', bytes: 2 },
  '<f4': { dtype: 'float32', bytes: 4 },
  '<f8': { dtype: 'float64', bytes: 8 },
  '<i4': { dtype: 'int32', bytes: 4 },
  '<i8': { dtype: 'int64', bytes: 8 },
} as const;

export type NpyDtype = (typeof DTYPES)[keyof typeof DTYPES]['dtype'];

export interface NpyArray {
  /** The dtype in the file. */
  dtype: NpyDtype;
  shape: number[];
  /** In C order: uint8 and bool as Uint8Array, floats as Float32Array, int32 and int64 as Int32Array. */
  data: Uint8Array | Float32Array | Int32Array;
}

/** Bytes to read from: a file, or a member of an archive. */
export interface ByteSource {
  /** What errors name: the file, or 'data.npz: member x.npy'. */
  name: string;
  size: number;
  /** Reads into `into` from `position`; fewer bytes only at the end. */
  read(into: Uint8Array, position: number): Promise<number>;
}

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');
// numpy's own loader refuses headers over 10,000 bytes by default; this leaves room for very long shapes.
const MAX_HEADER_BYTES = 1 << 20;
// One read: far under the 2 GiB a single read may take, large enough for few round trips.
const CHUNK_BYTES = 64 << 20;

/** The elements one typed array may hold here (Node 20: 2^32, whatever the element size). */
export const MAX_ELEMENTS = bufferConstants.MAX_LENGTH;

/** The array in the .npy file `file` (a regular file: a FIFO or a directory is a FileError). */
export async function readNpyFile(file: string): Promise<NpyArray> {
  const handle = await openRegularFile(file);
  try {
    return await readNpy(handleSource(handle, file, 0, (await handle.stat()).size));
  } catch (error) {
    throw fileError('read', file, error);
  } finally {
    await handle.close();
  }
}

/** The `size` bytes of an open file from `start`, as a ByteSource named `name`. */
export function handleSource(handle: fs.FileHandle, name: string, start: number, size: number): ByteSource {
  return {
    name,
    size,
    read: async (into, position) => (await handle.read(into, 0, Math.min(into.length, size - position), start + position)).bytesRead,
  };
}

/** A .npy file's header, checked against the bytes that follow it (no typed-array limit: the data is not read). */
export interface NpyLayout {
  dtype: NpyDtype;
  shape: number[];
  fortranOrder: boolean;
  /** Where the data starts. */
  offset: number;
}

/** The layout of the .npy file `file`, its data left on disk (a regular file: a FIFO or a directory is a FileError). */
export async function readNpyLayout(file: string): Promise<NpyLayout> {
  const handle = await openRegularFile(file);
  try {
    return await npyLayoutOf(handleSource(handle, file, 0, (await handle.stat()).size));
  } catch (error) {
    throw fileError('read', file, error);
  } finally {
    await handle.close();
  }
}

/** The layout of the .npy in `source` (the offset counted from the source's start). */
export async function npyLayoutOf(source: ByteSource): Promise<NpyLayout> {
  const { header, type, dataStart } = await readNpyHeader(source);
  return { dtype: type.dtype, shape: header.shape, fortranOrder: header.fortranOrder, offset: dataStart };
}

/** The header of `source`, checked against the size of the data after it. */
async function readNpyHeader(source: ByteSource) {
  const error = (what: string) => new DatasetError(`${source.name}: ${what}`);
  const prefix = await readExactly(source, 0, Math.min(12, source.size));
  const { headerStart, dataStart } = npyPreamble(prefix, true, error)!;
  if (dataStart > source.size) throw error(`the file ends inside its .npy header (${source.size} bytes; the header ends at byte ${dataStart})`);
  const parsed = npyHeaderAt(await readExactly(source, 0, dataStart), headerStart, dataStart, error);
  const fileData = source.size - dataStart;
  if (fileData !== parsed.dataBytes) {
    throw error(`the header declares ${parsed.shapeText} = ${parsed.dataBytes} bytes of data, but ${fileData} bytes follow the header; ` +
      `the file is ${fileData < parsed.dataBytes ? 'truncated' : 'corrupt (a header that does not match its data)'}`);
  }
  return { ...parsed, dataStart, error };
}

/**
 * Where a .npy's header starts and ends, from its first bytes; undefined while `prefix` is too short to
 * tell (an error when `complete`: the bytes end there).
 */
function npyPreamble(prefix: Buffer, complete: boolean, error: (what: string) => DatasetError): { headerStart: number; dataStart: number } | undefined {
  const magic = prefix.subarray(0, MAGIC.length);
  const notNpy = () => error(`not a .npy file (it does not start with NumPy's magic \\x93NUMPY)`);
  if (!MAGIC.subarray(0, magic.length).equals(magic)) throw notNpy();
  if (prefix.length < 10) {
    if (complete) throw notNpy();
    return undefined;
  }
  const [major, minor] = [prefix[6], prefix[7]];
  if (![1, 2, 3].includes(major) || minor !== 0) throw error(`.npy format version ${major}.${minor} is not supported (expected 1.0, 2.0 or 3.0)`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (prefix.length < 8 + lengthBytes) {
    if (complete) throw error('the file ends inside its .npy preamble');
    return undefined;
  }
  const headerLength = major === 1 ? prefix.readUInt16LE(8) : prefix.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES) throw error(`the .npy header declares ${headerLength} bytes, more than the limit of ${MAX_HEADER_BYTES}`);
  return { headerStart: 8 + lengthBytes, dataStart: 8 + lengthBytes + headerLength };
}

/** The header in `bytes[headerStart, dataStart)`, and the data it declares. */
function npyHeaderAt(bytes: Buffer, headerStart: number, dataStart: number, error: (what: string) => DatasetError) {
  const header = parseNpyHeader(bytes.subarray(headerStart, dataStart).toString(bytes[6] === 3 ? 'utf8' : 'latin1'), error);
  const type = dtypeOf(header.descr, error);
  const count = header.shape.reduce((a, b) => a * b, 1);
  return { header, type, count, dataBytes: count * type.bytes, shapeText: `(${header.shape.join(', ')}) of ${header.descr}` };
}

/**
 * The whole size of the .npy that `head` (its first bytes, e.g. as a deflated member inflates) begins: its
 * header and the data it declares. Undefined while `head` ends before the header does (unless `complete`).
 */
export function npySizeFromHead(head: Buffer, complete: boolean, error: (what: string) => DatasetError): number | undefined {
  const preamble = npyPreamble(head, complete, error);
  if (!preamble) return undefined;
  if (head.length < preamble.dataStart) {
    if (complete) throw error(`the member ends inside its .npy header (${head.length} bytes; the header ends at byte ${preamble.dataStart})`);
    return undefined;
  }
  return preamble.dataStart + npyHeaderAt(head, preamble.headerStart, preamble.dataStart, error).dataBytes;
}

/** The array stored in `source`, checked against its header and converted as NpyArray says. */
export async function readNpy(source: ByteSource): Promise<NpyArray> {
  const { header, type, dataStart, count, error } = await readNpyHeader(source);
  if (count > MAX_ELEMENTS) {
    throw error(`the array (${header.shape.join(', ')}) of ${header.descr} holds ${count} elements, more than one typed array can hold here ` +
      `(${MAX_ELEMENTS})`);
  }
  let data = await readElements(source, dataStart, count, type.dtype, error);
  if (header.fortranOrder && header.shape.length > 1) data = fortranToC(data, header.shape, source.name);
  return { dtype: type.dtype, shape: header.shape, data };
}

function dtypeOf(descr: string, error: (what: string) => DatasetError): (typeof DTYPES)[keyof typeof DTYPES] {
  if (Object.hasOwn(DTYPES, descr)) return DTYPES[descr as keyof typeof DTYPES];
  const expected = `expected one of ${Object.keys(DTYPES).join(', ')}`;
  if (descr.startsWith('|O')) throw error(`dtype '${descr}' is an object array (pickled Python objects), which is never loaded; ${expected}`);
  if (descr.startsWith('>')) {
    throw error(`dtype '${descr}' is big-endian, which is not supported; ${expected} (in NumPy: a.astype(a.dtype.newbyteorder('<')))`);
  }
  throw error(`dtype '${descr}' is not supported; ${expected}`);
}

/** Exactly `length` bytes from `position` (the caller has checked that the source holds them). */
async function readExactly(source: ByteSource, position: number, length: number): Promise<Buffer> {
  const bytes = Buffer.alloc(length);
  await readInto(source, position, bytes);
  return bytes;
}

async function readInto(source: ByteSource, position: number, into: Uint8Array): Promise<void> {
  for (let done = 0; done < into.length;) {
    const n = await source.read(into.subarray(done, Math.min(into.length, done + CHUNK_BYTES)), position + done);
    if (n === 0) throw new DatasetError(`${source.name}: the file ended after ${position + done} bytes while being read (it shrank?)`);
    done += n;
  }
}

/** The typed array the values end in, or a DatasetError when the machine cannot give it. */
function allocate<T>(make: () => T, count: number, name: string): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) throw new DatasetError(`${name}: cannot allocate an array of ${count} elements (${e.message})`);
    throw e;
  }
}

/** The `count` elements from `start`, converted; types kept as they are read with no copy. */
async function readElements(source: ByteSource, start: number, count: number, dtype: NpyDtype,
  error: (what: string) => DatasetError): Promise<NpyArray['data']> {
  const asBytes = (a: NpyArray['data']) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (dtype === 'uint8' || dtype === 'bool') {
    const out = allocate(() => new Uint8Array(count), count, source.name);
    await readInto(source, start, out);
    return out;
  }
  if (dtype === 'float32' || dtype === 'int32') {
    const out = allocate(() => (dtype === 'float32' ? new Float32Array(count) : new Int32Array(count)), count, source.name);
    await readInto(source, start, asBytes(out));
    return out;
  }
  // float16, float64, int64: read in pieces and converted into the result, never held whole in their own type.
  const out = allocate(() => (dtype === 'int64' ? new Int32Array(count) : new Float32Array(count)), count, source.name);
  const itemBytes = dtype === 'float16' ? 2 : 8;
  const piece = Buffer.alloc(Math.min(count * itemBytes, CHUNK_BYTES));  // its own ArrayBuffer: aligned for typed views
  for (let done = 0; done < count;) {
    const n = Math.min(count - done, piece.length / itemBytes);
    const bytes = piece.subarray(0, n * itemBytes);
    await readInto(source, start + done * itemBytes, bytes);
    convert(bytes, n, dtype, out, done, error);
    done += n;
  }
  return out;
}

/** Every float16 value by its bits: one lookup per element, not a power per element. */
let halves: Float32Array | undefined;

/**
 * The `n` elements in `bytes` (little-endian, as the host: typed views over them are read directly) into
 * `out` from `at`, each checked to fit what it becomes.
 */
function convert(bytes: Buffer, n: number, dtype: 'float16' | 'float64' | 'int64', out: NpyArray['data'], at: number,
  error: (what: string) => DatasetError): void {
  if (dtype === 'float16') {
    halves ??= Float32Array.from({ length: 65536 }, (_, bits) => halfToNumber(bits));
    const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i += 1) out[at + i] = halves[bits[i]];
  } else if (dtype === 'float64') {
    const values = new Float64Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i += 1) {
      const x = values[i];
      if (Math.abs(x) > FLOAT32_MAX && Number.isFinite(x)) {
        throw error(`element ${at + i} (${x}) of the float64 array is beyond float32's range (±${FLOAT32_MAX}); the data is used as float32`);
      }
      out[at + i] = x;
    }
  } else {
    // An int64 fits int32 when its high word is its low word's sign extended.
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, 2 * n);
    for (let i = 0; i < n; i += 1) {
      if (words[2 * i + 1] !== words[2 * i] >> 31) {
        throw error(`element ${at + i} (${bytes.readBigInt64LE(8 * i)}) of the int64 array is beyond int32's range (-2147483648..2147483647); ` +
          'ids and labels are held as int32');
      }
      out[at + i] = words[2 * i];
    }
  }
}

/** The same array in C (row-major) order: Fortran order is the reverse of its axes. */
function fortranToC<T extends NpyArray['data']>(data: T, shape: number[], name: string): T {
  const out = allocate(() => new (data.constructor as new (n: number) => T)(data.length), data.length, name);
  const strides: number[] = [];
  shape.reduce((stride, d, i) => { strides[i] = stride; return stride * d; }, 1);  // the first axis moves fastest
  gatherStrided(data, out, shape, strides);
  return out;
}
