// A minimal MATLAB level-5 MAT-file writer for test fixtures: numeric arrays, plain or
// miCOMPRESSED, little- or big-endian, with the small-element form where the format allows it.
import * as zlib from 'zlib';

export type ElementType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'single' | 'double';

const TYPE_CODES: Record<ElementType, { mi: number; mx: number; bytes: number }> = {
  int8: { mi: 1, mx: 8, bytes: 1 },
  uint8: { mi: 2, mx: 9, bytes: 1 },
  int16: { mi: 3, mx: 10, bytes: 2 },
  uint16: { mi: 4, mx: 11, bytes: 2 },
  int32: { mi: 5, mx: 12, bytes: 4 },
  uint32: { mi: 6, mx: 13, bytes: 4 },
  single: { mi: 7, mx: 7, bytes: 4 },
  double: { mi: 9, mx: 6, bytes: 8 },
};
const miMATRIX = 14;
const miCOMPRESSED = 15;
const mxCELL = 1;

export interface MatVariable {
  name: string;
  /** The MATLAB class of the array. */
  className: ElementType;
  dims: number[];
  /** Values in column-major order. */
  data: ArrayLike<number>;
  /** Element type the real part is stored as (MATLAB narrows e.g. integer doubles); default: the class. */
  storedAs?: ElementType;
  compress?: boolean;
  /** Writes the array flags of a cell array instead (for "unsupported class" tests). */
  cellFlags?: boolean;
}

class Writer {
  constructor(private readonly littleEndian: boolean) {}

  uint32(value: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.littleEndian) b.writeUInt32LE(value >>> 0); else b.writeUInt32BE(value >>> 0);
    return b;
  }

  /** One data element: small form when it fits in 4 bytes (and `allowSmall`), else tag + data + padding. */
  element(type: number, data: Buffer, allowSmall = true): Buffer {
    if (allowSmall && data.length <= 4 && data.length > 0) {
      const small = Buffer.alloc(8);
      const word = ((data.length << 16) | type) >>> 0;
      if (this.littleEndian) small.writeUInt32LE(word); else small.writeUInt32BE(word);
      data.copy(small, 4);
      return small;
    }
    const padding = (8 - (data.length % 8)) % 8;
    return Buffer.concat([this.uint32(type), this.uint32(data.length), data, Buffer.alloc(padding)]);
  }

  numbers(type: ElementType, values: ArrayLike<number>): Buffer {
    const width = TYPE_CODES[type].bytes;
    const b = Buffer.alloc(values.length * width);
    const le = this.littleEndian;
    for (let i = 0; i < values.length; i += 1) {
      const v = values[i];
      const at = i * width;
      switch (type) {
        case 'int8': b.writeInt8(v, at); break;
        case 'uint8': b.writeUInt8(v, at); break;
        case 'int16': if (le) b.writeInt16LE(v, at); else b.writeInt16BE(v, at); break;
        case 'uint16': if (le) b.writeUInt16LE(v, at); else b.writeUInt16BE(v, at); break;
        case 'int32': if (le) b.writeInt32LE(v, at); else b.writeInt32BE(v, at); break;
        case 'uint32': if (le) b.writeUInt32LE(v, at); else b.writeUInt32BE(v, at); break;
        case 'single': if (le) b.writeFloatLE(v, at); else b.writeFloatBE(v, at); break;
        case 'double': if (le) b.writeDoubleLE(v, at); else b.writeDoubleBE(v, at); break;
      }
    }
    return b;
  }

  matrix(variable: MatVariable): Buffer {
    const classCode = variable.cellFlags ? mxCELL : TYPE_CODES[variable.className].mx;
    const flags = Buffer.concat([this.uint32(classCode), this.uint32(0)]);
    const dims = this.numbers('int32', variable.dims);
    const stored = variable.storedAs ?? variable.className;
    const body = Buffer.concat([
      this.element(TYPE_CODES.uint32.mi, flags),
      this.element(TYPE_CODES.int32.mi, dims),
      this.element(TYPE_CODES.int8.mi, Buffer.from(variable.name, 'latin1')),
      this.element(TYPE_CODES[stored].mi, this.numbers(stored, variable.data)),
    ]);
    return this.element(miMATRIX, body, false);
  }
}

/** The bytes of a level-5 MAT-file holding `variables`. */
export function writeMat(variables: MatVariable[], options: { littleEndian?: boolean } = {}): Buffer {
  const littleEndian = options.littleEndian ?? true;
  const writer = new Writer(littleEndian);
  const header = Buffer.alloc(128, ' ');
  header.write('MATLAB 5.0 MAT-file, Platform: pof-torch tests', 0, 'latin1');
  header.fill(0, 116, 124); // subsystem data offset: none
  if (littleEndian) header.writeUInt16LE(0x0100, 124); else header.writeUInt16BE(0x0100, 124);
  header.write(littleEndian ? 'IM' : 'MI', 126, 'latin1');
  const parts = variables.map((v) => {
    const matrix = writer.matrix(v);
    if (!v.compress) return matrix;
    const compressed = zlib.deflateSync(matrix);
    return Buffer.concat([writer.uint32(miCOMPRESSED), writer.uint32(compressed.length), compressed]);
  });
  return Buffer.concat([header, ...parts]);
}

/** Column-major order of an [N, C, H, W] image batch as MATLAB's H×W×C×N array. */
export function nchwToColumnMajor(images: Uint8Array, n: number, c: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(images.length);
  for (let ni = 0; ni < n; ni += 1) {
    for (let ci = 0; ci < c; ci += 1) {
      for (let hi = 0; hi < h; hi += 1) {
        for (let wi = 0; wi < w; wi += 1) {
          out[hi + h * (wi + w * (ci + c * ni))] = images[((ni * c + ci) * h + hi) * w + wi];
        }
      }
    }
  }
  return out;
}
