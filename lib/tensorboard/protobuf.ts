// The protobuf wire format, for the handful of fields an event file needs (lib/tensorboard/event.ts).
// Encoding: field key = field number << 3 | wire type; varints 7 bits a byte, least significant first.

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf: ${value} is not a non-negative safe integer`);
  const out: number[] = [];
  // Division, not bit shifts: shifts would cut the value to 32 bits.
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/** A message under construction: fields are appended in the order written. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  private key(field: number, wireType: number): void {
    this.parts.push(Uint8Array.from(varint(field * 8 + wireType)));
  }

  /** uint64 / int64 / int32 / enum fields with a non-negative value. */
  uint(field: number, value: number): this {
    this.key(field, VARINT);
    this.parts.push(Uint8Array.from(varint(value)));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(b);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.parts.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.parts.push(Uint8Array.from(varint(value.length)), value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One field as read: varints as numbers, every other wire type as its bytes. */
export interface ProtoField {
  field: number;
  varint?: number;
  bytes?: Buffer;
}

/** The fields of a message in the order they appear; a malformed message is a RangeError. */
export function readFields(message: Buffer): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      if (offset >= message.length) throw new RangeError('protobuf: a varint runs past the end of the message');
      const byte = message[offset++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  const take = (n: number): Buffer => {
    if (n > message.length - offset) throw new RangeError('protobuf: a field runs past the end of the message');
    offset += n;
    return message.subarray(offset - n, offset);
  };
  while (offset < message.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case VARINT: fields.push({ field, varint: readVarint() }); break;
      case FIXED64: fields.push({ field, bytes: take(8) }); break;
      case LENGTH_DELIMITED: fields.push({ field, bytes: take(readVarint()) }); break;
      case FIXED32: fields.push({ field, bytes: take(4) }); break;
      default: throw new RangeError(`protobuf: field ${field} has the unsupported wire type ${key % 8}`);
    }
  }
  return fields;
}
