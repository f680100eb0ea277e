// A pickle reader for data, not code: it decodes the opcodes that torch.save emits (protocol 2,
// plus the protocol 3–5 forms of strings, bytes and framing) into JS values, and hands every
// GLOBAL to a resolver that allows only known names. Nothing from the file is ever executed.
//
// Python values become: None → null, bool → boolean, int → number (bigint beyond 2^53),
// float → number, str → string, bytes → Uint8Array, tuple/list/set → array, dict → object
// (keys as strings: ints in decimal, True/False/None by name).
import { CheckpointError } from '../errors';
import { setOwn } from './own-property';

/** What a resolved global does when the pickle calls it (REDUCE / NEWOBJ). */
export interface PickleCallable {
  /** module.name, for error messages. */
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

export interface UnpickleHooks {
  /** Resolves GLOBAL / STACK_GLOBAL; throws for names that are not allowed. */
  findGlobal(module: string, name: string): unknown;
  /** Resolves BINPERSID ids (torch: storages). */
  persistentLoad?(pid: unknown): unknown;
  /** Applies BUILD state to an object; the default accepts only state on dicts and ignores it. */
  build?(object: unknown, state: unknown): void;
}

const dicts = new WeakSet<object>();

/** A new Python dict (an object that SETITEM(S) may fill). */
export function newDict(): Record<string, unknown> {
  const dict: Record<string, unknown> = {};
  dicts.add(dict);
  return dict;
}

export function isPickleCallable(value: unknown): value is PickleCallable {
  return typeof value === 'object' && value !== null && typeof (value as PickleCallable).call === 'function'
    && typeof (value as PickleCallable).qualifiedName === 'string';
}

const MARK = Symbol('mark');
// Each opcode makes at most a few values, so this bounds the memory a pickle can make us spend (a
// hundred MB or so) where its size alone does not: 64 MB of EMPTY_LIST or MEMOIZE opcodes compress to
// kilobytes and would exhaust the heap or a Map's capacity. Real state dicts take tens of
// opcodes per tensor.
export const MAX_PICKLE_OPCODES = 2 << 20;

/** Decodes one pickle from `bytes`; `source` starts every error message. */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks, source = '<pickle>'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  let pos = 0;
  let opcodeAt = 0;

  const fail = (what: string): never => { throw new CheckpointError(`${source}: pickle: ${what} (opcode at byte ${opcodeAt})`); };
  const need = (n: number): number => {
    if (pos + n > bytes.byteLength) fail(`truncated: needs ${n} more bytes at byte ${pos}, the pickle has ${bytes.byteLength}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)];
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const value = view.getBigUint64(need(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${value} is too large`);
    return Number(value);
  };
  const take = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const text = (n: number): string => Buffer.from(take(n)).toString('utf8');
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    return text(end - pos + 1).slice(0, -1);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) fail('no MARK to pop to');
    stack = previous as unknown[];
    return items;
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) fail(`memo entry ${index} was never stored`);
    return memo.get(index);
  };
  const dictKey = (key: unknown): string => {
    if (typeof key === 'string') return key;
    if (typeof key === 'number' || typeof key === 'bigint') return String(key);
    if (typeof key === 'boolean') return key ? 'True' : 'False';
    if (key === null) return 'None';
    return fail(`unsupported dict key of type ${Array.isArray(key) ? 'tuple' : typeof key}`);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (typeof target !== 'object' || target === null || !dicts.has(target)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) setOwn(target as Record<string, unknown>, dictKey(items[i]), items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) fail('APPEND(S) on something that is not a list');
    // One push per item: push(...items) passes them as arguments, which overflows the stack for long lists.
    for (const item of items) (target as unknown[]).push(item);
  };
  const call = (callable: unknown, args: unknown): unknown => {
    if (!isPickleCallable(callable)) fail(`cannot call ${describe(callable)}`);
    if (!Array.isArray(args)) fail(`arguments of ${(callable as PickleCallable).qualifiedName} are not a tuple`);
    return (callable as PickleCallable).call(args as unknown[]);
  };
  const littleEndianInt = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    // Through hex: shifting a BigInt byte by byte is quadratic in the length.
    let value = BigInt(`0x${Buffer.from(raw).reverse().toString('hex')}`);
    if (raw[raw.length - 1] & 0x80) value -= 1n << BigInt(8 * raw.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };

  for (let count = 1; ; count += 1) {
    opcodeAt = pos;
    if (count > MAX_PICKLE_OPCODES) fail(`more than ${MAX_PICKLE_OPCODES} opcodes; refused as too large for a checkpoint`);
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) fail(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const result = pop();
        if (stack.length !== 0 || marks.length !== 0) fail('STOP with items left on the stack');
        return result;
      }
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(littleEndianInt(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0) fail('negative LONG4 length');
        stack.push(littleEndianInt(take(n)));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x42: stack.push(new Uint8Array(take(u32()))); break; // BINBYTES
      case 0x43: stack.push(new Uint8Array(take(u8()))); break; // SHORT_BINBYTES
      case 0x8e: case 0x96: stack.push(new Uint8Array(take(u64()))); break; // BINBYTES8, BYTEARRAY8
      case 0x7d: stack.push(newDict()); break; // EMPTY_DICT
      case 0x64: { const d = newDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      // popMark() replaces `stack`, so it must run before `stack` is read.
      case 0x6c: case 0x74: case 0x91: { const items = popMark(); stack.push(items); break; } // LIST, TUPLE, FROZENSET
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x90: { const items = popMark(); appendItems(top(), items); break; } // ADDITEMS
      case 0x61: { const item = pop(); appendItems(top(), [item]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const value = pop(); const key = pop(); setItems(top(), [key, value]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x63: { const module = line(); const name = line(); stack.push(hooks.findGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.findGlobal(module as string, name as string));
        break;
      }
      case 0x52: case 0x81: { const args = pop(); stack.push(call(pop(), args)); break; } // REDUCE, NEWOBJ
      case 0x62: { // BUILD
        const state = pop();
        const object = top();
        if (hooks.build) hooks.build(object, state);
        else if (typeof object !== 'object' || object === null || !dicts.has(object)) fail(`BUILD on ${describe(object)} is not supported`);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail('persistent ids are not supported here');
        stack.push(hooks.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

/** A short description of a value, for errors. */
export function describe(value: unknown): string {
  if (isPickleCallable(value)) return `'${value.qualifiedName}'`;
  if (value === null) return 'None';
  if (Array.isArray(value)) return `a tuple/list of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
