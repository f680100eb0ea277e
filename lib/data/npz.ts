// NumPy's .npz: a ZIP archive of .npy members (np.savez stores them, np.savez_compressed deflates them).
// Only the archive's directory is read whole; a stored member is read from the file as a .npy file is
// (so it may pass 2 GiB), a deflated one is inflated to the size the directory declares and no further.
import type { promises as fs } from 'fs';
import * as zlib from 'zlib';
import { inflateBounded } from '../bounded-inflate';
import { ZipArchive, type ZipEntry } from '../checkpoint/zip';
import { CheckpointError, DatasetError, fileError } from '../errors';
import { openRegularFile } from '../file-access';
import { handleSource, npyLayoutOf, npySizeFromHead, readNpy, type ByteSource, type NpyArray, type NpyLayout } from './npy';

// The directory of an archive of a few arrays is tiny; this bounds what a hostile one makes us read.
const MAX_DIRECTORY_BYTES = 16 << 20;
const LOCAL_HEADER = 0x04034b50;
// What one Buffer holds: the most a deflated member can inflate to.
const MAX_INFLATED_BYTES = 2 ** 32 - 1;

/** Reads the arrays `names` (without '.npy') of the .npz `file`; `pick` chooses them from the members there. */
export function readNpz(file: string, pick: (members: string[]) => string[]): Promise<NpyArray[]> {
  return readNpzMembers(file, pick, npzArray);
}

/** A member of an open .npz: its directory entry, where its bytes start in the file, and a source of them (checked, inflated). */
export interface NpzMember {
  entry: ZipEntry;
  start: number;
  source(): Promise<ByteSource>;
}

/** A member's array, read into memory. */
export async function npzArray(member: NpzMember): Promise<NpyArray> {
  return readNpy(await member.source());
}

/**
 * A member's layout, its data left in the file (the offset from the file's start), for reading in place: only a
 * stored member (np.savez) lies there as it is; a deflated one (np.savez_compressed) is refused. Its CRC is not
 * checked: that would read it whole.
 */
export async function npzLayout(file: string, member: NpzMember): Promise<NpyLayout> {
  if (member.entry.method !== 0) {
    throw new DatasetError(`${file}: member ${member.entry.name} is compressed (np.savez_compressed), so it cannot be read in place: save the ` +
      'arrays with np.savez (stored), or read them into memory');
  }
  const layout = await npyLayoutOf(await member.source());
  return { ...layout, offset: member.start + layout.offset };
}

/** `read` of each member `pick` chooses (by name, without '.npy'), in that order, the archive opened and its directory read once. */
export async function readNpzMembers<T>(file: string, pick: (members: string[]) => string[],
  read: (member: NpzMember, index: number) => Promise<T>): Promise<T[]> {
  const handle = await openRegularFile(file);
  try {
    const size = (await handle.stat()).size;
    const tail = Buffer.alloc(Math.min(size, MAX_DIRECTORY_BYTES));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const archive = zipError(() => new ZipArchive(tail, file, size - tail.length));
    const members = archive.names().filter((n) => n.endsWith('.npy')).map((n) => n.slice(0, -4));
    const results: T[] = [];
    for (const [index, name] of pick(members).entries()) {
      const entry = archive.entries.get(`${name}.npy`);
      if (!entry) throw new DatasetError(`${file}: no array '${name}' (members: ${listed(members)})`);
      const start = await memberStart(handle, file, size, entry);
      results.push(await read({ entry, start, source: () => memberSource(handle, file, entry, start) }, index));
    }
    return results;
  } catch (error) {
    throw fileError('read', file, error);
  } finally {
    await handle.close();
  }
}

/** Names for a message: the first few of a long list. */
function listed(names: string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= 20 ? names.join(', ') : `${names.slice(0, 20).join(', ')} and ${names.length - 20} more`;
}

/** The zip reader's errors, which speak of checkpoints' archives, as this dataset's. */
function zipError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof CheckpointError ? new DatasetError(e.message) : e;
  }
}

/** Where `entry`'s bytes start in the file, after its local header, checked to lie within the file. */
async function memberStart(handle: fs.FileHandle, file: string, fileSize: number, entry: ZipEntry): Promise<number> {
  const error = (what: string) => new DatasetError(`${file}: member ${entry.name}: ${what}`);
  const local = Buffer.alloc(30);
  const { bytesRead } = await handle.read(local, 0, 30, entry.localHeaderOffset);
  if (bytesRead < 30 || local.readUInt32LE(0) !== LOCAL_HEADER) throw error(`no local header at offset ${entry.localHeaderOffset}; the archive is corrupt`);
  const start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (start + entry.compressedSize > fileSize) {
    throw error(`its data (bytes ${start}..${start + entry.compressedSize}) runs past the end of the file (${fileSize} bytes); the file is truncated`);
  }
  return start;
}

async function memberSource(handle: fs.FileHandle, file: string, entry: ZipEntry, start: number): Promise<ByteSource> {
  const name = `${file}: member ${entry.name}`;
  const error = (what: string) => new DatasetError(`${name}: ${what}`);
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw error(`stored with ${entry.compressedSize} bytes, but the directory says ${entry.size}; the archive is corrupt`);
  }
  if (entry.method === 0) return crcChecked(handleSource(handle, name, start, entry.size), entry.crc32, error);
  if (entry.method !== 8) throw error(`compression method ${entry.method} is not supported (expected stored or deflated, as np.savez and np.savez_compressed write)`);
  const raw = Buffer.alloc(entry.compressedSize);
  await handleSource(handle, name, start, raw.length).read(raw, 0);
  // The member's own .npy header must agree with the directory before the bulk is inflated: a small array
  // declared as gigabytes is refused from its first bytes, not after inflating them.
  const size = (head: Buffer, complete: boolean) => {
    const own = npySizeFromHead(head, complete, error);
    if (own !== undefined && own !== entry.size) {
      throw error(`its .npy header and the data it declares come to ${own} bytes, but the directory declares ${entry.size}; the archive is corrupt`);
    }
    return own;
  };
  const bytes = await inflateBounded(raw, {
    format: 'raw', size, maxBytes: MAX_INFLATED_BYTES, declared: 'the directory declares', stream: 'the member', error,
  });
  if (zlib.crc32(bytes) !== entry.crc32) throw error('it fails its CRC-32 check; the file is corrupt');
  return { name, size: bytes.length, read: async (into, position) => bytes.copy(into, 0, position, position + into.length) };
}

/**
 * `source`, checking the CRC-32 of its bytes as they are first read (in order: readNpy reads front to back);
 * the check fails as soon as the last byte is read with a different CRC.
 */
function crcChecked(source: ByteSource, crc32: number, error: (what: string) => DatasetError): ByteSource {
  let checkedTo = 0;
  let crc = 0;
  return {
    ...source,
    read: async (into, position) => {
      const n = await source.read(into, position);
      if (position <= checkedTo && position + n > checkedTo) {
        crc = zlib.crc32(into.subarray(checkedTo - position, n), crc);
        checkedTo = position + n;
        if (checkedTo === source.size && crc !== crc32) throw error('it fails its CRC-32 check; the file is corrupt');
      }
      return n;
    },
  };
}
