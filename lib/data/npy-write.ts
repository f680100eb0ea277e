// The header of a .npy file (format version 1.0) for an array written after it: the magic, the version, the
// header's length, then the dict numpy writes, padded with spaces to a newline so the data starts on a
// 64-byte boundary (as numpy aligns it).

/** The header bytes; `minBytes` pads it further, so a header rewritten with a smaller first dimension keeps its length. */
export function npyHeader(descr: string, shape: number[], minBytes = 0): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const total = Math.ceil(Math.max(10 + dict.length + 1, minBytes) / 64) * 64;
  if (total - 10 > 0xffff) throw new RangeError(`a .npy 1.0 header holds at most 65535 bytes (this one: ${total - 10})`);
  const header = Buffer.alloc(total, ' ');
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, 'latin1');
  header[total - 1] = 0x0a;
  return header;
}
