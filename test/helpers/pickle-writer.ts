// A small pickle writer for checkpoint tests and fuzz seeds: the protocol-2 opcodes torch.save
// emits, so a test can build a .pt whose layout (shapes, strides, sizes, list lengths) is chosen
// freely, including layouts PyTorch would never write.
import { writeZip } from './zip-writer';

export class PickleWriter {
  private readonly chunks: Buffer[] = [Buffer.from([0x80, 2])];

  private op(code: number, payload: Buffer = Buffer.alloc(0)): this {
    this.chunks.push(Buffer.from([code]), payload);
    return this;
  }

  mark(): this { return this.op(0x28); }
  tuple(): this { return this.op(0x74); }
  emptyTuple(): this { return this.op(0x29); }
  emptyList(): this { return this.op(0x5d); }
  emptyDict(): this { return this.op(0x7d); }
  appends(): this { return this.op(0x65); }
  setItems(): this { return this.op(0x75); }
  reduce(): this { return this.op(0x52); }
  persistentId(): this { return this.op(0x51); }
  none(): this { return this.op(0x4e); }
  bool(value: boolean): this { return this.op(value ? 0x88 : 0x89); }
  stop(): Buffer { this.op(0x2e); return Buffer.concat(this.chunks); }

  str(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    return this.op(0x58, Buffer.concat([length, bytes]));
  }

  /** BININT1, BININT or LONG1, whichever fits. */
  int(value: number | bigint): this {
    const n = BigInt(value);
    if (n >= 0n && n < 256n) return this.op(0x4b, Buffer.from([Number(n)]));
    if (n >= -(2n ** 31n) && n < 2n ** 31n) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(n));
      return this.op(0x4a, b);
    }
    // LONG1: the fewest little-endian two's-complement bytes that hold n.
    let width = 1;
    while (n < -(2n ** BigInt(8 * width - 1)) || n >= 2n ** BigInt(8 * width - 1)) width += 1;
    let rest = n < 0n ? n + 2n ** BigInt(8 * width) : n;
    const bytes: number[] = [];
    for (let i = 0; i < width; i += 1, rest >>= 8n) bytes.push(Number(rest & 0xffn));
    return this.op(0x8a, Buffer.from([bytes.length, ...bytes]));
  }

  global(module: string, name: string): this {
    return this.op(0x63, Buffer.from(`${module}\n${name}\n`, 'utf8'));
  }

  ints(values: readonly (number | bigint)[]): this {
    this.mark();
    values.forEach((v) => this.int(v));
    return this.tuple();
  }
}

export interface TensorLayout {
  /** The storage's key: its entry is <archive>/data/<key>. */
  key: string;
  /** torch.<storage class>, e.g. 'FloatStorage'. */
  storage: string;
  /** Elements the persistent id says the storage holds. */
  numel: number | bigint;
  offset?: number | bigint;
  size: readonly (number | bigint)[];
  stride: readonly (number | bigint)[];
}

/** The pickle torch.save writes for an OrderedDict of tensors with these layouts. */
export function stateDictPickle(tensors: Record<string, TensorLayout>): Buffer {
  const p = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const [name, t] of Object.entries(tensors)) {
    p.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', t.storage).str(t.key).str('cpu').int(t.numel).tuple().persistentId();
    p.int(t.offset ?? 0).ints(t.size).ints(t.stride).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce();
    p.tuple().reduce();
  }
  return p.setItems().stop();
}

/** A torch.save archive ('archive/data.pkl', 'archive/data/<key>', ...) of a state dict. */
export function torchSaveFile(tensors: Record<string, TensorLayout>, storages: Record<string, Uint8Array>): Buffer {
  const entries: Record<string, Uint8Array> = { 'archive/data.pkl': stateDictPickle(tensors), 'archive/byteorder': Buffer.from('little') };
  for (const [key, bytes] of Object.entries(storages)) entries[`archive/data/${key}`] = bytes;
  entries['archive/version'] = Buffer.from('3\n');
  return writeZip(entries);
}
