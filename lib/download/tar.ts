// Reading chosen members out of a .tar.gz (POSIX ustar, with the GNU long-name and pax extensions that
// archivers add): only the members asked for are kept, each must have the size expected of it (the
// header says it before any data is read), and nothing else in the archive is written anywhere, so a
// path like ../x in it cannot escape. Reading stops once every member asked for is out.
import { createReadStream } from 'fs';
import { createGunzip } from 'zlib';
import { fileError, PoFError } from '../errors';

const BLOCK = 512;

export interface TarMember {
  /** The path inside the archive (a leading ./ is ignored). */
  path: string;
  bytes: number;
}

/** Takes bytes off an async stream of chunks, keeping or dropping them, without copying them. */
class ByteReader {
  private pending: Buffer[] = [];

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Up to `n` bytes (fewer only at the end of the stream); with `keep` false they are dropped as they come. */
  async read(n: number, keep: boolean): Promise<{ chunks: Buffer[]; length: number }> {
    const chunks: Buffer[] = [];
    let length = 0;
    while (length < n) {
      if (this.pending.length === 0) {
        const next = await this.source.next();
        if (next.done) break;
        this.pending.push(next.value);
      }
      const head = this.pending[0];
      const taken = Math.min(head.length, n - length);
      if (keep) chunks.push(head.subarray(0, taken));
      if (taken === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(taken);
      length += taken;
    }
    return { chunks, length };
  }
}

interface Header {
  path: string;
  size: number;
  type: string;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** A numeric field: octal digits, or (GNU, for values that octal cannot hold) base-256 after a set top bit. */
function numberField(block: Buffer, start: number, length: number): number | undefined {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const digits = text(block, start, length).trim();
  return /^[0-7]*$/.test(digits) ? (digits === '' ? 0 : parseInt(digits, 8)) : undefined;
}

/** The header in `block`; undefined for a checksum or number that does not parse (not a tar header). */
function parseHeader(block: Buffer): Header | undefined {
  const checksum = numberField(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  const size = numberField(block, 124, 12);
  if (checksum !== sum || size === undefined) return undefined;
  const name = text(block, 0, 100);
  const prefix = text(block, 257, 6).startsWith('ustar') ? text(block, 345, 155) : '';
  return { path: prefix ? `${prefix}/${name}` : name, size, type: String.fromCharCode(block[156] || 0x30) };
}

/** The `path` record of a pax extended header ("<length> path=<value>\n" records). */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  let path: string | undefined;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) path = record.slice(5);
    at += length;
  }
  return path;
}

const normalise = (path: string) => path.replace(/^(\.\/)+/, '');

// Extension headers whose data describes the next member; small, so read whole.
const MAX_EXTENSION_BYTES = 1 << 20;

/**
 * Calls `write` with each member of `wanted` (its data as chunks, in archive order) from the .tar.gz
 * `archive`; `fail` makes the error for a corrupt archive, a missing member or one of another size.
 */
export async function extractTarGz(archive: string, wanted: readonly TarMember[],
  write: (member: TarMember, chunks: Buffer[]) => Promise<void>, fail: (what: string) => PoFError): Promise<void> {
  const remaining = new Map(wanted.map((m) => [normalise(m.path), m]));
  const input = createReadStream(archive);
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(fileError('read', archive, error) as PoFError));
  input.pipe(gunzip);
  const reader = new ByteReader(gunzip[Symbol.asyncIterator]());
  const readExactly = async (n: number, keep: boolean, what: string) => {
    const got = await reader.read(n, keep);
    if (got.length < n) throw fail(`the archive ends inside ${what} (truncated)`);
    return got.chunks;
  };
  try {
    let offset = 0;
    let longPath: string | undefined;
    while (remaining.size > 0) {
      const block = Buffer.concat((await reader.read(BLOCK, true)).chunks);
      if (block.length === 0 || block.every((b) => b === 0)) break; // the end-of-archive blocks (or none)
      if (block.length < BLOCK) throw fail(`the archive ends inside the header at byte ${offset} (truncated)`);
      const header = parseHeader(block);
      if (!header) throw fail(`the tar header at byte ${offset} is corrupt (bad checksum or size)`);
      offset += BLOCK;
      const padded = Math.ceil(header.size / BLOCK) * BLOCK;
      const path = normalise(longPath ?? header.path);
      longPath = undefined;
      if (header.type === 'L' || header.type === 'x') {
        // GNU long name / pax attributes: they rename the member after them.
        if (header.size > MAX_EXTENSION_BYTES) throw fail(`the extension header at byte ${offset - BLOCK} declares ${header.size} bytes`);
        const data = Buffer.concat(await readExactly(padded, true, 'an extension header')).subarray(0, header.size);
        longPath = header.type === 'L' ? text(data, 0, data.length) : paxPath(data);
      } else {
        const member = remaining.get(path);
        const regular = header.type === '0' || header.type === '7';
        if (member && regular) {
          if (header.size !== member.bytes) throw fail(`${path} is ${header.size} bytes, expected ${member.bytes}`);
          const chunks = await readExactly(header.size, true, path);
          await readExactly(padded - header.size, false, path);
          await write(member, chunks);
          remaining.delete(path);
        } else {
          await readExactly(padded, false, path || 'a member');
        }
      }
      offset += padded;
    }
  } catch (error) {
    if (error instanceof PoFError) throw error;
    throw fail(`the gzip stream is corrupt (${(error as Error).message})`); // zlib's
  } finally {
    gunzip.destroy();
    input.destroy();
  }
  if (remaining.size > 0) throw fail(`the archive has no ${[...remaining.keys()].join(', ')}`);
}
