// A tiny .npy writer for the reader's tests, independent of it: the header as numpy writes it (or any text a
// test wants, to make bad files), padded so the data starts at a multiple of 64 bytes.

export interface NpyWriteOptions {
  descr?: string;
  fortranOrder?: boolean;
  shape: number[];
  /** The element bytes as they go in the file. */
  data?: Uint8Array;
  /** 1, 2 or 3 (default 1). */
  version?: number;
  /** The header text instead of numpy's dict (no padding added). */
  header?: string;
}

export function npyBytes(o: NpyWriteOptions): Buffer {
  const version = o.version ?? 1;
  const prefixBytes = version === 1 ? 10 : 12;
  let header = o.header;
  if (header === undefined) {
    const shape = o.shape.length === 1 ? `(${o.shape[0]},)` : `(${o.shape.join(', ')})`;
    const dict = `{'descr': '${o.descr ?? '<f4'}', 'fortran_order': ${o.fortranOrder ? 'True' : 'False'}, 'shape': ${shape}, }`;
    header = dict.padEnd(Math.ceil((prefixBytes + dict.length + 1) / 64) * 64 - prefixBytes - 1, ' ') + '\n';
  }
  const text = Buffer.from(header, version === 3 ? 'utf8' : 'latin1');
  const prefix = Buffer.alloc(prefixBytes);
  Buffer.from('\x93NUMPY', 'latin1').copy(prefix);
  prefix[6] = version;
  if (version === 1) prefix.writeUInt16LE(text.length, 8);
  else prefix.writeUInt32LE(text.length, 8);
  return Buffer.concat([prefix, text, o.data ?? Buffer.alloc(0)]);
}

/** Float32 values as little-endian bytes. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
