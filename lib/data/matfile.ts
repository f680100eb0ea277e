// A reader for MATLAB level-5 MAT-files (the format of `save -v6/-v7`), limited to what numeric
// datasets such as SVHN use: named real numeric N-d arrays, optionally zlib-compressed.
//
// Layout: a 128-byte header (text, subsystem offset, version 0x0100, endian indicator), then data
// elements. Each element is an 8-byte tag (type, byte count) and its data padded to 8 bytes, or in
// the "small element" form a 4-byte tag (count << 16 | type) with up to 4 data bytes. A variable
// is an miMATRIX element holding sub-elements: array flags (class), dimensions, name, real part.
// miCOMPRESSED wraps one such element in a zlib stream (and is not padded).
import { promises as fs } from 'fs';
import * as zlib from 'zlib';
import { openRegularFile } from '../file-access';
import { DatasetError } from './dataset-files';

// Data element types.
const miINT8 = 1;
const miUINT8 = 2;
const miINT16 = 3;
const miUINT16 = 4;
const miINT32 = 5;
const miUINT32 = 6;
const miSINGLE = 7;
const miDOUBLE = 9;
const miMATRIX = 14;
const miCOMPRESSED = 15;

type NumericType = typeof miINT8 | typeof miUINT8 | typeof miINT16 | typeof miUINT16 | typeof miINT32 | typeof miUINT32 | typeof miSINGLE | typeof miDOUBLE;

const ELEMENT_BYTES: Record<NumericType, number> = {
  [miINT8]: 1, [miUINT8]: 1, [miINT16]: 2, [miUINT16]: 2, [miINT32]: 4, [miUINT32]: 4, [miSINGLE]: 4, [miDOUBLE]: 8,
};

export type MatClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32';
export type MatData = Float64Array | Float32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

// Array classes (mxCLASS) this reader converts, with the element type that stores them natively.
const NUMERIC_CLASSES: Record<number, { name: MatClass; nativeType: NumericType }> = {
  6: { name: 'double', nativeType: miDOUBLE },
  7: { name: 'single', nativeType: miSINGLE },
  8: { name: 'int8', nativeType: miINT8 },
  9: { name: 'uint8', nativeType: miUINT8 },
  10: { name: 'int16', nativeType: miINT16 },
  11: { name: 'uint16', nativeType: miUINT16 },
  12: { name: 'int32', nativeType: miINT32 },
  13: { name: 'uint32', nativeType: miUINT32 },
};
const OTHER_CLASSES: Record<number, string> = {
  1: 'cell array', 2: 'struct', 3: 'object', 4: 'char array', 5: 'sparse array', 14: 'int64', 15: 'uint64',
};
const COMPLEX_FLAG = 0x08;

export interface MatArray {
  name: string;
  className: MatClass;
  /** MATLAB dimensions, e.g. [32, 32, 3, N]; the data is column-major (first index fastest). */
  dims: number[];
  /**
   * The real part in the class's own type. When the stored type already is that type (and the file
   * is little-endian) this is a view into the decompressed element: no copy, and writable.
   */
  real: MatData;
}

export interface ReadMatOptions {
  /** Only these variables are converted (others are still decompressed, to learn their names). */
  variables?: string[];
}

function typedArrayFor(type: NumericType, length: number): MatData {
  switch (type) {
    case miINT8: return new Int8Array(length);
    case miUINT8: return new Uint8Array(length);
    case miINT16: return new Int16Array(length);
    case miUINT16: return new Uint16Array(length);
    case miINT32: return new Int32Array(length);
    case miUINT32: return new Uint32Array(length);
    case miSINGLE: return new Float32Array(length);
    case miDOUBLE: return new Float64Array(length);
  }
}

function viewOf(type: NumericType, bytes: Uint8Array, length: number): MatData {
  const { buffer, byteOffset } = bytes;
  switch (type) {
    case miINT8: return new Int8Array(buffer, byteOffset, length);
    case miUINT8: return new Uint8Array(buffer, byteOffset, length);
    case miINT16: return new Int16Array(buffer, byteOffset, length);
    case miUINT16: return new Uint16Array(buffer, byteOffset, length);
    case miINT32: return new Int32Array(buffer, byteOffset, length);
    case miUINT32: return new Uint32Array(buffer, byteOffset, length);
    case miSINGLE: return new Float32Array(buffer, byteOffset, length);
    case miDOUBLE: return new Float64Array(buffer, byteOffset, length);
  }
}

function readNumber(view: DataView, type: NumericType, offset: number, littleEndian: boolean): number {
  switch (type) {
    case miINT8: return view.getInt8(offset);
    case miUINT8: return view.getUint8(offset);
    case miINT16: return view.getInt16(offset, littleEndian);
    case miUINT16: return view.getUint16(offset, littleEndian);
    case miINT32: return view.getInt32(offset, littleEndian);
    case miUINT32: return view.getUint32(offset, littleEndian);
    case miSINGLE: return view.getFloat32(offset, littleEndian);
    case miDOUBLE: return view.getFloat64(offset, littleEndian);
  }
}

function isNumericType(type: number): type is NumericType {
  return type in ELEMENT_BYTES;
}

interface Element {
  type: number;
  data: Uint8Array;
  /** Offset of the next element (after padding). */
  next: number;
}

/** Reads a data element tag (either form) at `offset` of `bytes`; `where` describes it for errors. */
function readElement(bytes: Uint8Array, offset: number, littleEndian: boolean, where: () => string): Element {
  if (offset + 8 > bytes.length) throw new DatasetError(`${where()}: truncated: no room for an element tag`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint32(offset, littleEndian);
  const smallCount = first >>> 16;
  if (smallCount !== 0) {
    // Small data element: count and type share the first 4 bytes; the data fills the next 4.
    if (smallCount > 4) throw new DatasetError(`${where()}: a small data element declares ${smallCount} bytes (at most 4 fit)`);
    return { type: first & 0xffff, data: bytes.subarray(offset + 4, offset + 4 + smallCount), next: offset + 8 };
  }
  const count = view.getUint32(offset + 4, littleEndian);
  const end = offset + 8 + count;
  if (end > bytes.length) {
    throw new DatasetError(`${where()}: truncated: an element of type ${first} declares ${count} bytes but only ${bytes.length - offset - 8} remain`);
  }
  return { type: first, data: bytes.subarray(offset + 8, end), next: offset + 8 + Math.ceil(count / 8) * 8 };
}

/** Converts a stored numeric element to the array class's own type (a view when no conversion is needed). */
function convert(element: Element, classType: NumericType, length: number, littleEndian: boolean, where: () => string): MatData {
  if (!isNumericType(element.type)) throw new DatasetError(`${where()}: the real part has element type ${element.type}, which is not numeric`);
  const storedType = element.type;
  const width = ELEMENT_BYTES[storedType];
  if (element.data.length !== length * width) {
    throw new DatasetError(`${where()}: the dimensions call for ${length} values but the real part holds ${element.data.length / width}`);
  }
  if (storedType === classType && (littleEndian || width === 1) && element.data.byteOffset % width === 0) {
    return viewOf(storedType, element.data, length);
  }
  // MATLAB stores e.g. integer-valued doubles as miUINT8 to save space; widen them to the class.
  const out = typedArrayFor(classType, length);
  const view = new DataView(element.data.buffer, element.data.byteOffset, element.data.byteLength);
  for (let i = 0; i < length; i += 1) out[i] = readNumber(view, storedType, i * width, littleEndian);
  return out;
}

/** Parses one miMATRIX element (the data after its tag); null when the variable is not wanted. */
function parseMatrix(data: Uint8Array, littleEndian: boolean, wanted: (name: string) => boolean, where: string): MatArray | null {
  const at = (what: string) => () => `${where}: ${what}`;
  const flags = readElement(data, 0, littleEndian, at('array flags'));
  if (flags.type !== miUINT32 || flags.data.length !== 8) {
    throw new DatasetError(`${where}: unexpected element: a matrix must start with 8 bytes of array flags (type ${miUINT32}), found type ${flags.type} of ${flags.data.length} bytes`);
  }
  const flagWord = new DataView(flags.data.buffer, flags.data.byteOffset, 8).getUint32(0, littleEndian);
  const classCode = flagWord & 0xff;
  const dimsElement = readElement(data, flags.next, littleEndian, at('dimensions'));
  if (dimsElement.type !== miINT32 || dimsElement.data.length < 8 || dimsElement.data.length % 4 !== 0) {
    throw new DatasetError(`${where}: unexpected element: expected the dimensions as at least two int32, found type ${dimsElement.type} of ${dimsElement.data.length} bytes`);
  }
  const dimsView = new DataView(dimsElement.data.buffer, dimsElement.data.byteOffset, dimsElement.data.byteLength);
  const dims = Array.from({ length: dimsElement.data.length / 4 }, (_, i) => dimsView.getInt32(4 * i, littleEndian));
  if (dims.some((d) => d < 0)) throw new DatasetError(`${where}: negative dimension in [${dims.join(', ')}]`);
  const nameElement = readElement(data, dimsElement.next, littleEndian, at('array name'));
  if (nameElement.type !== miINT8) {
    throw new DatasetError(`${where}: unexpected element: expected the array name (type ${miINT8}), found type ${nameElement.type}`);
  }
  const name = Buffer.from(nameElement.data.buffer, nameElement.data.byteOffset, nameElement.data.byteLength).toString('latin1');
  if (!wanted(name)) return null;

  const variable = `${where} (variable '${name}')`;
  const numeric = NUMERIC_CLASSES[classCode];
  if (!numeric) {
    const kind = OTHER_CLASSES[classCode] ?? `an unknown class (${classCode})`;
    throw new DatasetError(`${variable}: is a ${kind}; only real numeric arrays are supported`);
  }
  if (flagWord & (COMPLEX_FLAG << 8)) throw new DatasetError(`${variable}: is complex; only real arrays are supported`);
  const length = dims.reduce((a, b) => a * b, 1);
  const realElement = readElement(data, nameElement.next, littleEndian, () => `${variable}: real part`);
  const real = convert(realElement, numeric.nativeType, length, littleEndian, () => variable);
  return { name, className: numeric.name, dims, real };
}

/** A compressed element can expand at most ~1032× (zlib's limit); a larger claim means a corrupt tag. */
const MAX_INFLATE_RATIO = 1032;
const READ_CHUNK = 8 << 20;
const MAX_TRAILING_BYTES = 4096;

/**
 * Inflates the miCOMPRESSED payload at [start, start + length) of the open file straight into one
 * buffer of the inner element's exact size (known from its tag, the first 8 inflated bytes): the
 * compressed bytes are streamed from disk, so only the result is held in memory.
 */
function inflateElement(handle: fs.FileHandle, start: number, length: number, littleEndian: boolean, where: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const inflate = zlib.createInflate({ chunkSize: 1 << 20 });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      reject(error);
    };
    let head = Buffer.alloc(0);
    let target: Buffer | null = null;
    let filled = 0;
    let ignored = 0;
    inflate.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (target === null) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 8) return;
        const type = littleEndian ? head.readUInt32LE(0) : head.readUInt32BE(0);
        const count = littleEndian ? head.readUInt32LE(4) : head.readUInt32BE(4);
        if (type !== miMATRIX) {
          fail(new DatasetError(`${where}: unexpected element: a compressed element holds type ${type}, expected a matrix (${miMATRIX})`));
          return;
        }
        if (count > length * MAX_INFLATE_RATIO + 1024) {
          fail(new DatasetError(`${where}: corrupt: the compressed matrix claims ${count} bytes, more than ${length} compressed bytes can hold`));
          return;
        }
        target = Buffer.allocUnsafeSlow(8 + count);
        chunk = head;
      }
      // Bytes after the declared matrix (padding some writers add) are ignored, up to a bound: a
      // stream that goes on inflating past its matrix is a bomb, not padding.
      const take = Math.min(chunk.length, target.length - filled);
      chunk.copy(target, filled, 0, take);
      filled += take;
      ignored += chunk.length - take;
      if (ignored > MAX_TRAILING_BYTES) {
        fail(new DatasetError(`${where}: the compressed element holds more than the ${target.length} bytes of the matrix it declares`));
      }
    });
    inflate.on('error', (error) => fail(new DatasetError(`${where}: corrupt zlib stream (${error.message})`)));
    inflate.on('end', () => {
      if (settled) return;
      if (target === null || filled < target.length) {
        fail(new DatasetError(`${where}: the zlib stream ends after ${target === null ? head.length : filled} bytes, before the end of the matrix it holds (${target ? target.length : 'at least 8'} bytes)`));
        return;
      }
      settled = true;
      resolve(target);
    });
    const feed = async () => {
      for (let offset = 0; offset < length && !settled; offset += READ_CHUNK) {
        const size = Math.min(READ_CHUNK, length - offset);
        const chunk = Buffer.allocUnsafe(size);
        const { bytesRead } = await handle.read(chunk, 0, size, start + offset);
        if (bytesRead !== size) throw new DatasetError(`${where}: the file ended while reading the compressed element`);
        if (!inflate.write(chunk)) {
          // 'close' too: after a failure the stream is destroyed and never drains.
          await new Promise<void>((done) => {
            const resume = () => {
              inflate.off('drain', resume);
              inflate.off('close', resume);
              done();
            };
            inflate.on('drain', resume);
            inflate.on('close', resume);
          });
        }
      }
      inflate.end();
    };
    feed().catch((error: Error) => fail(error instanceof DatasetError ? error : new DatasetError(`${where}: ${error.message}`)));
  });
}

/** Endianness and format check of the 128-byte header. */
function parseHeader(header: Buffer, file: string): boolean {
  const text = header.toString('latin1', 0, 116);
  if (text.startsWith('MATLAB 7.3 MAT-file')) {
    throw new DatasetError(`${file}: is a MATLAB v7.3 (HDF5) file; only level-5 MAT-files (v5/v6/v7) are supported`);
  }
  const indicator = header.toString('latin1', 126, 128);
  if (!text.startsWith('MATLAB 5.0 MAT-file') || (indicator !== 'IM' && indicator !== 'MI')) {
    throw new DatasetError(`${file}: not a MATLAB level-5 MAT-file (bad header: expected 'MATLAB 5.0 MAT-file' and endian indicator 'IM' or 'MI')`);
  }
  // 'MI' written as a 16-bit value reads back as the bytes 'I','M' on a little-endian machine.
  const littleEndian = indicator === 'IM';
  const version = littleEndian ? header.readUInt16LE(124) : header.readUInt16BE(124);
  if (version !== 0x0100) throw new DatasetError(`${file}: MAT-file version 0x${version.toString(16)}, expected 0x0100`);
  return littleEndian;
}

/**
 * Reads the numeric variables of a level-5 MAT-file: name → array. `options.variables` limits which
 * are converted (and so which may be of a class this reader does not support).
 */
export async function readMatFile(file: string, options: ReadMatOptions = {}): Promise<Map<string, MatArray>> {
  const wanted = options.variables ? (name: string) => options.variables!.includes(name) : () => true;
  const handle = await openRegularFile(file);
  try {
    const size = (await handle.stat()).size;
    const header = Buffer.alloc(128);
    if (size < 128 || (await handle.read(header, 0, 128, 0)).bytesRead !== 128) {
      throw new DatasetError(`${file}: truncated: ${size} bytes is shorter than the 128-byte MAT-file header`);
    }
    const littleEndian = parseHeader(header, file);
    const variables = new Map<string, MatArray>();
    let offset = 128;
    while (offset < size) {
      const where = `${file}: element at byte ${offset}`;
      if (size - offset < 8) throw new DatasetError(`${where}: truncated: ${size - offset} bytes left, too few for an element tag`);
      const tag = Buffer.alloc(8);
      await handle.read(tag, 0, 8, offset);
      const type = littleEndian ? tag.readUInt32LE(0) : tag.readUInt32BE(0);
      const count = littleEndian ? tag.readUInt32LE(4) : tag.readUInt32BE(4);
      if (offset + 8 + count > size) {
        throw new DatasetError(`${where}: truncated: the element declares ${count} bytes but the file has ${size - offset - 8} left`);
      }
      let matrix: Buffer;
      if (type === miCOMPRESSED) {
        matrix = await inflateElement(handle, offset + 8, count, littleEndian, where);
        offset += 8 + count;
      } else if (type === miMATRIX) {
        matrix = Buffer.allocUnsafeSlow(8 + count);
        await handle.read(matrix, 0, 8 + count, offset);
        offset += 8 + Math.ceil(count / 8) * 8;
      } else {
        throw new DatasetError(`${where}: unexpected element type ${type}; a MAT-file variable is a matrix (${miMATRIX}) or compressed (${miCOMPRESSED})`);
      }
      const variable = parseMatrix(matrix.subarray(8), littleEndian, wanted, where);
      if (variable) variables.set(variable.name, variable);
    }
    return variables;
  } finally {
    await handle.close();
  }
}
