// TFRecord framing, the container of TensorBoard event files: each record is its length (uint64, little
// endian), the length's masked CRC-32C, the bytes, and their masked CRC-32C (all CRCs uint32, little endian).
import { maskedCrc32c } from './crc32c';

const HEADER = 12;
const FOOTER = 4;

export function frameRecord(data: Uint8Array): Buffer {
  const frame = Buffer.alloc(HEADER + data.length + FOOTER);
  frame.writeBigUInt64LE(BigInt(data.length), 0);
  frame.writeUInt32LE(maskedCrc32c(frame.subarray(0, 8)), 8);
  frame.set(data, HEADER);
  frame.writeUInt32LE(maskedCrc32c(data), HEADER + data.length);
  return frame;
}

export interface RecordScan {
  records: Buffer[];
  /** Bytes taken by the whole, valid records: the file's length unless `problem`. */
  end: number;
  /** Why reading stopped before the end: a record cut short (a writer killed mid-write) or a CRC that does not match. */
  problem?: string;
}

/** The records of a TFRecord file, up to the first one that is incomplete or corrupt. */
export function readRecords(bytes: Buffer): RecordScan {
  const records: Buffer[] = [];
  let offset = 0;
  const stop = (problem: string): RecordScan => ({ records, end: offset, problem: `record ${records.length} at byte ${offset}: ${problem}` });
  while (offset < bytes.length) {
    if (bytes.length - offset < HEADER) return stop('the length header is cut short');
    if (bytes.readUInt32LE(offset + 8) !== maskedCrc32c(bytes.subarray(offset, offset + 8))) return stop('the CRC of the length does not match');
    const length = Number(bytes.readBigUInt64LE(offset));
    const start = offset + HEADER;
    if (length > bytes.length - start - FOOTER) return stop(`${length} bytes announced, fewer left`);
    const data = bytes.subarray(start, start + length);
    if (bytes.readUInt32LE(start + length) !== maskedCrc32c(data)) return stop('the CRC of the data does not match');
    records.push(data);
    offset = start + length + FOOTER;
  }
  return { records, end: offset };
}
