// Keys read from files become object keys: defining them (instead of assigning) means a key such
// as "__proto__" is stored as data and can never replace an object's prototype.

/** Sets `object[key] = value` as an own, enumerable data property. */
export function setOwn<T>(object: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
