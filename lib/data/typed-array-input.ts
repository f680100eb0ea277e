// Typed arrays handed in as data are kept by reference and copied natively from their memory, so each
// must be a plain one of the kinds expected: a Proxy has no memory Node-API can read, a SharedArrayBuffer
// can change while it is copied (and Node-API refuses it with a bare "Invalid argument"), and a detached
// array has lost its memory.
import { types } from 'util';
import { OptionError } from '../errors';
import { show } from '../options';

/** Each kind by its internal slot (a Proxy or an object with Uint8Array.prototype is none of them). */
const KINDS = { Uint8Array: types.isUint8Array, Int32Array: types.isInt32Array, Float32Array: types.isFloat32Array, Float64Array: types.isFloat64Array };

export type TypedArrayKind = keyof typeof KINDS;

/** What the analyses take as a flat vector over a parameter subset. */
export const VECTOR_KINDS = ['Float32Array', 'Float64Array'] as const satisfies readonly TypedArrayKind[];

/** Node 20 has no ArrayBuffer.prototype.detached; a view of a detached buffer cannot be constructed. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * `value` when it is a plain typed array of one of `kinds` (an OptionError naming `name` otherwise); `expected`
 * says what is wanted ("a Uint8Array or an Int32Array" by default).
 */
export function checkTypedArray<T extends ArrayBufferView>(where: string, name: string, value: unknown,
  kinds: readonly TypedArrayKind[], expected = kinds.map((k) => `${/^I/.test(k) ? 'an' : 'a'} ${k}`).join(' or ')): T {
  if (types.isProxy(value)) {
    throw new OptionError(`${where}: ${name} is a Proxy; expected ${expected} itself (its memory is read directly)`);
  }
  const kind = kinds.find((k) => KINDS[k](value));
  if (kind === undefined) throw new OptionError(`${where}: ${name} must be ${expected}, got ${show(value)}`);
  const { buffer } = value as ArrayBufferView;
  if (types.isSharedArrayBuffer(buffer)) {
    throw new OptionError(`${where}: ${name} is backed by a SharedArrayBuffer, which another thread may change while it is ` +
      `read; expected ${expected} over its own ArrayBuffer (copy it into a new ${kind})`);
  }
  if (isDetached(buffer)) {
    throw new OptionError(`${where}: ${name} is detached (its ArrayBuffer was transferred); expected ${expected} that holds its values`);
  }
  return value as T;
}
