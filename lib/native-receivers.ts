// The members of a native class a user holds (Tensor), guarded against another receiver: V8 answers
// `Tensor.prototype.toArray.call({})` with a TypeError 'Illegal invocation', and node-addon-api a getter
// read on a plain object with an Error 'Invalid argument'. Neither says what was wrong, nor has a code.
import { OptionError, PoFError } from './errors';
import { show } from './options';

/** Rewrites `cls.prototype`'s methods and getters so that a call on anything but an instance is an OptionError. */
export function guardReceivers(cls: Function, name: string): void {
  const proto = cls.prototype as object;
  for (const key of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key)!;
    if (key === 'constructor') continue;
    // An object made with Object.create(Tensor.prototype) passes instanceof yet wraps nothing: the native
    // receiver check still refuses it, with a plain error that is rewritten here.
    const call = (self: unknown, run: () => unknown) => {
      const refused = () => new OptionError(`${name}.${key} was called on ${show(self)}, which is not a ${name}`);
      if (!(self instanceof cls)) throw refused();
      try {
        return run();
      } catch (error) {
        throw error instanceof PoFError ? error : refused();
      }
    };
    if (d.get) {
      const get = d.get;
      Object.defineProperty(proto, key, { ...d, get(this: unknown) { return call(this, () => get.call(this)); } });
    } else if (typeof d.value === 'function') {
      const method = d.value as Function;
      Object.defineProperty(proto, key, { ...d, value(this: unknown, ...args: unknown[]) { return call(this, () => method.apply(this, args)); } });
    }
  }
}
