// A read-only ZIP archive over an in-memory file (or its tail: enough for the entry names): the central
// directory (with ZIP64 sizes and offsets), STORED and DEFLATED entries, and CRC-32 checks. Enough for
// torch.save archives.
// A deflated entry is inflated off the main thread into a buffer of the size the directory
// declares, and no further (see bounded-inflate): the directory, not the stream, decides.
import * as zlib from 'zlib';
import { inflateBounded } from '../bounded-inflate';
import { CheckpointError } from '../errors';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
// One entry at most: what one Buffer can hold.
const MAX_ENTRY_BYTES = 2 ** 32 - 1;

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  /**
   * Parses the central directory of `buffer`, the file's bytes from offset `start` to its end (the whole
   * file by default); `fileName` starts every error message.
   */
  constructor(private readonly buffer: Uint8Array, readonly fileName: string, private readonly start = 0) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const { count, offset, size } = this.readDirectoryLocation();
    let at = offset;
    for (let i = 0; i < count; i += 1) {
      const entry = this.readCentralEntry(at, offset + size);
      this.entries.set(entry.entry.name, entry.entry);
      at = entry.next;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The uncompressed bytes of an entry (a view into the archive when stored), CRC-checked. An entry
   * declaring more than `maxBytes` is refused before it is inflated; `kind` names such entries
   * in that message ('a pickle').
   */
  async read(name: string, maxBytes = MAX_ENTRY_BYTES, kind = 'an entry'): Promise<Uint8Array> {
    const { entry, raw } = this.rawEntry(name, maxBytes, kind);
    if (entry.method === 0) return this.checked(entry, raw);
    return this.checked(entry, await inflateBounded(raw, {
      format: 'raw', size: entry.size, maxBytes, declared: 'the directory declares', stream: `entry '${name}'`,
      error: (what) => this.error(what),
    }));
  }

  /** A stored (uncompressed) entry's bytes, as `read` gives them but synchronously: for small marker entries. */
  readStored(name: string, maxBytes: number, kind: string): Uint8Array {
    const { entry, raw } = this.rawEntry(name, maxBytes, kind);
    if (entry.method !== 0) throw this.error(`entry '${name}' is compressed; expected it stored`);
    return this.checked(entry, raw);
  }

  /** An entry's bytes as the archive holds them (compressed or not), after its size and method are checked. */
  private rawEntry(name: string, maxBytes: number, kind: string): { entry: ZipEntry; raw: Uint8Array } {
    const entry = this.entries.get(name);
    if (!entry) throw this.error(`no entry '${name}'`);
    if (entry.size > maxBytes) throw this.error(`entry '${name}' declares ${entry.size} bytes, more than the limit of ${maxBytes} for ${kind}`);
    const at = entry.localHeaderOffset - this.start;
    this.need(at, 30, `local header of '${name}'`);
    if (this.view.getUint32(at, true) !== LOCAL) throw this.error(`bad local header signature for '${name}' at offset ${at}`);
    const start = at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
    this.need(start, entry.compressedSize, `data of '${name}'`);
    const raw = this.buffer.subarray(start, start + entry.compressedSize);
    if (entry.method === 0 && entry.compressedSize !== entry.size) throw this.error(`stored entry '${name}' has ${entry.compressedSize} bytes, the directory says ${entry.size}`);
    if (entry.method !== 0 && entry.method !== 8) {
      throw this.error(`entry '${name}' uses compression method ${entry.method}; only stored (0) and deflated (8) are supported`);
    }
    return { entry, raw };
  }

  private checked(entry: ZipEntry, bytes: Uint8Array): Uint8Array {
    if (zlib.crc32(bytes) !== entry.crc32) throw this.error(`entry '${entry.name}' fails its CRC-32 check; the file is corrupt`);
    return bytes;
  }

  /** The size an entry declares in the central directory (no data is read). */
  declaredSize(name: string): number {
    const entry = this.entries.get(name);
    if (!entry) throw this.error(`no entry '${name}'`);
    return entry.size;
  }

  private error(what: string): CheckpointError {
    return new CheckpointError(`${this.fileName}: ${what}`);
  }

  private need(at: number, length: number, what: string): void {
    if (at < 0 && this.start > 0) throw this.error(`${what} lies before the last ${this.buffer.byteLength} bytes, the part of the file read`);
    if (at < 0 || at + length > this.buffer.byteLength) {
      throw this.error(`${what} (bytes ${at}..${at + length}) lies beyond the end of the file (${this.buffer.byteLength} bytes); the file is truncated or corrupt`);
    }
  }

  private u64(at: number, what: string): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.error(`${what} ${value} is too large`);
    return Number(value);
  }

  /** Finds the end-of-central-directory record (and its ZIP64 form when present). */
  private readDirectoryLocation(): { count: number; offset: number; size: number } {
    const length = this.buffer.byteLength;
    let eocd = -1;
    // The record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
    for (let at = length - 22; at >= Math.max(0, length - 22 - U16_MAX); at -= 1) {
      if (this.view.getUint32(at, true) === EOCD) { eocd = at; break; }
    }
    if (eocd < 0) throw this.error('not a ZIP archive (no end-of-central-directory record); the file is truncated or not a torch.save zip file');
    if (this.view.getUint16(eocd + 4, true) !== 0 && this.view.getUint16(eocd + 4, true) !== U16_MAX) {
      throw this.error('multi-disk ZIP archives are not supported');
    }
    let count = this.view.getUint16(eocd + 10, true);
    let size = this.view.getUint32(eocd + 12, true);
    let offset = this.view.getUint32(eocd + 16, true);
    const locator = eocd - 20;
    if (locator >= 0 && this.view.getUint32(locator, true) === ZIP64_LOCATOR) {
      const record = this.u64(locator + 8, 'ZIP64 end-of-central-directory offset') - this.start;
      this.need(record, 56, 'ZIP64 end-of-central-directory record');
      if (this.view.getUint32(record, true) !== ZIP64_EOCD) throw this.error('bad ZIP64 end-of-central-directory signature');
      count = this.u64(record + 32, 'entry count');
      size = this.u64(record + 40, 'central directory size');
      offset = this.u64(record + 48, 'central directory offset');
    } else if (count === U16_MAX || size === U32_MAX || offset === U32_MAX) {
      throw this.error('the archive needs ZIP64 records but has none');
    }
    offset -= this.start;  // where the directory lies in `buffer`
    this.need(offset, size, 'central directory');
    return { count, offset, size };
  }

  private readCentralEntry(at: number, directoryEnd: number): { entry: ZipEntry; next: number } {
    if (at + 46 > directoryEnd) throw this.error('central directory is shorter than its entry count says');
    if (this.view.getUint32(at, true) !== CENTRAL) throw this.error(`bad central directory signature at offset ${at}`);
    const flags = this.view.getUint16(at + 8, true);
    const nameLength = this.view.getUint16(at + 28, true);
    const extraLength = this.view.getUint16(at + 30, true);
    const commentLength = this.view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryEnd) throw this.error('central directory entry runs past the directory');
    const name = Buffer.from(this.buffer.buffer, this.buffer.byteOffset + at + 46, nameLength).toString('utf8');
    if (flags & 1) throw this.error(`entry '${name}' is encrypted`);
    const entry: ZipEntry = {
      name,
      method: this.view.getUint16(at + 10, true),
      crc32: this.view.getUint32(at + 16, true),
      compressedSize: this.view.getUint32(at + 20, true),
      size: this.view.getUint32(at + 24, true),
      localHeaderOffset: this.view.getUint32(at + 42, true),
    };
    // ZIP64 extra field: 8-byte values, present only for the fields saturated at 0xFFFFFFFF, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = this.view.getUint16(extra, true);
      const length = this.view.getUint16(extra + 2, true);
      if (id === ZIP64_EXTRA) {
        let field = extra + 4;
        const take = (what: string): number => {
          if (field + 8 > Math.min(extra + 4 + length, extraEnd)) throw this.error(`entry '${name}': ZIP64 extra field lacks the ${what}`);
          const value = this.u64(field, what);
          field += 8;
          return value;
        };
        if (entry.size === U32_MAX) entry.size = take('uncompressed size');
        if (entry.compressedSize === U32_MAX) entry.compressedSize = take('compressed size');
        if (entry.localHeaderOffset === U32_MAX) entry.localHeaderOffset = take('local header offset');
      }
      extra += 4 + length;
    }
    return { entry, next };
  }
}
