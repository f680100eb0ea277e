// For reads of FIFOs and devices: a read that blocks would hang the test instead of failing it.

/** Settles within `ms` or fails. */
export function settlesWithin<T>(work: Promise<T>, ms = 10_000): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms).unref())]);
}
