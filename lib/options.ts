// Validation at the API boundary: every error names the option, the value and what was expected.

import { types } from 'util';
import { OptionError } from './errors';

export { OptionError };

/**
 * `value` in a message. Never throws: a Symbol, a Proxy, a detached typed array or a cycle each throw from
 * String() or JSON.stringify, and a message that throws would leak a raw TypeError instead of the error meant.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object' || value === null) return String(value);
  if (types.isProxy(value)) return 'a Proxy';
  if (ArrayBuffer.isView(value)) return `a ${Object.prototype.toString.call(value).slice(8, -1)}`;
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The options object's own properties: what checkKeys sees is all that is read, so an inherited key
 * (`Object.create({ device: 'cuda:7' })`) can never slip past it.
 */
export function ownOptions<T>(where: string, options: T): T {
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  return { ...options };
}

/**
 * Refuses keys that are not in `allowed` (a typo must not silently fall back to a default), and null
 * values: null is not "left out", and taking it for the default would hide a value that went missing.
 */
export function checkKeys(where: string, options: object, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object, got ${show(options)}`);
  for (const [key, value] of Object.entries(options)) {
    if (!allowed.includes(key)) {
      throw new OptionError(`${where}: unknown option '${key}'; expected one of ${allowed.join(', ')}`);
    }
    if (value === null) throw new OptionError(`${where}: ${key} is null; give a value, or leave it out (undefined) for its default`);
  }
}

export function number(where: string, name: string, value: unknown, check: { min?: number; above?: number; max?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new OptionError(`${where}: ${name} must be a finite number, got ${show(value)}`);
  }
  if (check.min !== undefined && value < check.min) throw new OptionError(`${where}: ${name} must be >= ${check.min}, got ${value}`);
  if (check.above !== undefined && value <= check.above) throw new OptionError(`${where}: ${name} must be > ${check.above}, got ${value}`);
  if (check.max !== undefined && value > check.max) throw new OptionError(`${where}: ${name} must be <= ${check.max}, got ${value}`);
  return value;
}

export function integer(where: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new OptionError(`${where}: ${name} must be an integer, got ${show(value)}`);
  }
  if (value < min) throw new OptionError(`${where}: ${name} must be >= ${min}, got ${value}`);
  return value;
}

export function oneOf<T extends string>(where: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new OptionError(`${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

export function boolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptionError(`${where}: ${name} must be true or false, got ${show(value)}`);
  return value;
}

export function integerList(where: string, name: string, value: unknown, min = 0): number[] {
  if (!Array.isArray(value)) throw new OptionError(`${where}: ${name} must be an array of integers, got ${show(value)}`);
  return value.map((v, i) => integer(where, `${name}[${i}]`, v, min));
}

export function optionalFunction<F>(where: string, name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new OptionError(`${where}: ${name} must be a function, got ${show(value)}`);
  return value as F;
}
