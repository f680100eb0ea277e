// A minimal ustar writer for test fixtures: regular files, directories and the extension headers
// (GNU long name 'L', pax 'x') that the download's tar reader must understand.

export interface TarEntry {
  path: string;
  data?: Uint8Array;
  /** The typeflag: '0' file (default), '5' directory, 'L' GNU long name, 'x' pax attributes, '2' symlink. */
  type?: string;
}

const BLOCK = 512;

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const field = (text: string, start: number, length: number) => block.write(text, start, Math.min(length, Buffer.byteLength(text)), 'utf8');
  const octal = (value: number, start: number, length: number) => field(`${value.toString(8).padStart(length - 1, '0')}\0`, start, length);
  field(entry.path.slice(0, 100), 0, 100);
  octal(entry.type === '5' ? 0o755 : 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(1_234_567_890, 136, 12);
  block.write(entry.type ?? '0', 156, 1, 'latin1');
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  let sum = 0;
  for (const byte of block) sum += byte;
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** The tar bytes of `entries`, with the two zero blocks that end an archive. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? new Uint8Array(0));
    parts.push(header(entry, data.length), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** A pax extended header record list naming the next member `path`. */
export function paxPath(path: string): Buffer {
  const body = ` path=${path}\n`;
  // The record's length counts its own digits.
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length += 1;
  return Buffer.from(`${length}${body}`);
}
