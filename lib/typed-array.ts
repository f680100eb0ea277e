// Whether a typed array can be handed to the native side, which copies its bytes: it must be a real typed
// array (not a Proxy of one) over an ordinary ArrayBuffer that is still attached. Node-API refuses the
// others with a bare "Invalid argument" (or reads a detached one as empty), so JS checks first and names them.
// The native side words the same refusals the same way (native/js_args.cc).
import { types } from 'util';
import { OptionError, PoFError } from './errors';
import { show } from './options';

/** Each kind by its internal slot (a Proxy, or an object with Uint8Array.prototype, is none of them). */
const KINDS = {
  Uint8Array: types.isUint8Array, Int32Array: types.isInt32Array, BigInt64Array: types.isBigInt64Array,
  Float32Array: types.isFloat32Array, Float64Array: types.isFloat64Array,
};

export type TypedArrayKind = keyof typeof KINDS;

/** What the analyses take as a flat vector over a parameter subset. */
export const VECTOR_KINDS = ['Float32Array', 'Float64Array'] as const satisfies readonly TypedArrayKind[];

/** Why `value` cannot go to the native side, in words after its name ("is a Proxy ..."); undefined when it can. */
export function typedArrayProblem(value: unknown): string | undefined {
  if (types.isProxy(value)) return 'is a Proxy of a typed array, whose bytes cannot be read natively; expected the typed array itself';
  if (!types.isTypedArray(value)) return `must be a typed array, got ${show(value)}`;
  const buffer = value.buffer as ArrayBufferLike;
  if (types.isSharedArrayBuffer(buffer)) {
    return 'is a view of a SharedArrayBuffer, which another thread may change while it is copied; expected a typed array over ' +
      'an ordinary ArrayBuffer (copy it first, e.g. Float32Array.from(view))';
  }
  if (isDetached(buffer)) {
    return 'has been detached (its buffer was transferred, e.g. by postMessage or structuredClone) and holds no data; ' +
      'expected a typed array whose buffer is still attached';
  }
  return undefined;
}

/** Throws `ErrorClass` ("where: name is a Proxy ...") when typedArrayProblem finds one. */
export function checkTypedArray(where: string, name: string, value: unknown,
  ErrorClass: new (message: string) => PoFError = OptionError): void {
  const problem = typedArrayProblem(value);
  if (problem !== undefined) throw new ErrorClass(`${where}: ${name} ${problem}`);
}

/**
 * `value` when it is a typed array of one of `kinds` that the native side can read (an OptionError naming
 * `name` otherwise); `expected` says what is wanted ("a Uint8Array or an Int32Array" by default).
 */
export function checkTypedArrayOf<T extends ArrayBufferView>(where: string, name: string, value: unknown,
  kinds: readonly TypedArrayKind[], expected = kinds.map((k) => `${/^I/.test(k) ? 'an' : 'a'} ${k}`).join(' or ')): T {
  if (!types.isProxy(value) && !kinds.some((k) => KINDS[k](value))) throw new OptionError(`${where}: ${name} must be ${expected}, got ${show(value)}`);
  checkTypedArray(where, name, value);
  return value as T;
}

/** Node 20 has no ArrayBuffer.prototype.detached: a detached buffer is empty and refuses slice(). */
function isDetached(buffer: ArrayBuffer): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    buffer.slice(0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Copies a strided view into `target` in C order: target[i] is source[offset + Σ index[k]·stride[k]] for the i-th
 * index over `shape` (the last dimension fastest), for a tensor's storage view or an array in Fortran order.
 */
/** The index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i += 1) if (!Number.isFinite(values[i])) return i;
  return -1;
}

export function gatherStrided(source: ArrayLike<unknown>, target: { [i: number]: unknown; length: number },
  shape: readonly number[], stride: readonly number[], offset = 0): void {
  const index = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < target.length; i += 1) {
    target[i] = source[at];
    // Odometer over the index, innermost dimension fastest.
    for (let k = shape.length - 1; k >= 0; k -= 1) {
      index[k] += 1;
      at += stride[k];
      if (index[k] < shape[k]) break;
      at -= stride[k] * shape[k];
      index[k] = 0;
    }
  }
}
