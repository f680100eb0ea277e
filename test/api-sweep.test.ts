// The public API swept with hostile values: every exported function and every trainer method, called with
// argument lists drawn (seeded) from a pool of good values and of each class of bad one the audits found:
// null and undefined, NaN and values that overflow float32 or int32, giant sizes, typed arrays over a
// SharedArrayBuffer, detached ones and Proxies of them, options inherited through a prototype, special
// paths. Every call must succeed or throw a PoFError the library meant (not ERR_POF_INTERNAL), within its
// time, and the process must live on. The entry points are enumerated: a new export is swept unedited.
// The long run: POF_API_SWEEP_CALLS=20000 POF_API_SWEEP_SEED=7 npx ava dist/test/api-sweep.test.js
import test from 'ava';
import * as path from 'path';
import * as pof from '../lib';
import { PoFError, PoFTrainer } from '../lib';
import { tempDir } from './helpers/fixtures';
import { settlesWithin } from './helpers/settles-within';
import { blobs, testDevice as device } from './helpers/synthetic';

const scratch = tempDir('api-sweep');
// A good value such as 'cpu' can reach a writer as its path (save('cpu') is a valid call): what the sweep writes
// under relative paths lands in its scratch directory, not in the checkout.
process.chdir(scratch);

/** A typed array whose buffer was transferred away (its length reads 0, its memory is gone). */
function detached(): Float32Array {
  const a = new Float32Array(24);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** One value of each class of bad input (a function makes a fresh one per call: some are consumed). */
const BAD: Record<string, () => unknown> = {
  undefined: () => undefined,
  null: () => null,
  NaN: () => NaN,
  '-1': () => -1,
  '2.5': () => 2.5,
  '2^31': () => 2 ** 31,
  '1e300': () => 1e300,
  '-Infinity': () => -Infinity,
  'empty string': () => '',
  // Relative, under a directory that does not exist: a writer given it must fail, not leave a file in the cwd.
  'a word': () => 'no-such-dir/nonsense',
  'a NUL path': () => 'a\0b',
  'a missing path': () => '/nonexistent-pof-sweep/file',
  '/dev/zero': () => '/dev/zero',
  true: () => true,
  symbol: () => Symbol('x'),
  function: () => () => 1,
  '{}': () => ({}),
  'a null-prototype object': () => Object.create(null),
  'an object whose toString throws': () => ({ toString() { throw new Error('toString was called'); } }),
  'a Tensor': () => pof.tensor(new Float32Array(6), [2, 3]),
  '[]': () => [],
  'an inherited device': () => Object.create({ device: 'cuda:7' }),
  'batchSize 2^31': () => ({ batchSize: 2 ** 31 }),
  'batches 2^31': () => ({ batches: 2 ** 31 }),
  'bins 1e9': () => ({ bins: 1e9 }),
  'epochs 1e300': () => ({ epochs: 1e300 }),
  'lr 1e300': () => ({ lr: 1e300 }),
  'numClasses 2^31': () => ({ numClasses: 2 ** 31 }),
  'a NaN vector': () => new Float64Array([NaN, 1, 2]),
  'a SharedArrayBuffer array': () => new Float32Array(new SharedArrayBuffer(96)),
  'a detached array': detached,
  'a Proxy of an array': () => new Proxy(new Float32Array(24), {}),
  'a Proxy of an options object': () => new Proxy({ epochs: 1 }, {}),
  'labels in a SharedArrayBuffer': () => ({ images: new Float32Array(24), labels: new Uint8Array(new SharedArrayBuffer(4)), shape: [4, 6], numClasses: 3 }),
  'a shape that lies': () => ({ images: new Float32Array(6), labels: new Uint8Array(4), shape: [100, 6], numClasses: 3 }),
};

/** Good values, so that the bad ones reach checks past the first argument. */
function goodPool(trainer: PoFTrainer): Record<string, () => unknown> {
  const data = blobs(16, 6, 3, 1);
  return {
    trainer: () => trainer,
    data: () => data,
    splits: () => ({ train: data, test: data }),
    indices: () => Int32Array.from([0, 1, 2, 3]),
    'a small vector': () => new Float64Array(4),
    'one epoch of 8': () => ({ epochs: 1, batchSize: 8, batches: 1 }),
    'an mlp': () => pof.models.mlp({ inputDim: 6, hidden: [4], numClasses: 3 }),
    'a scratch file': () => path.join(scratch, 'out.safetensors'),
    one: () => 1,
    cpu: () => 'cpu',
  };
}

type Entry = [name: string, call: (...args: unknown[]) => unknown];

/** Every function the package exports (one level into its namespaces), and every method of a trainer. */
function entryPoints(trainer: PoFTrainer): Entry[] {
  // download fetches over the network and has tests of its own (test/download.test.ts); dispose ends the trainer;
  // manualSeed changes the process's generators; the trainer's @internal and private methods are called by the
  // library with its own values (lib/analysis, the CLI), never by a user.
  const skip = new Set(['datasets.download', 'trainer.dispose', 'manualSeed',
    'trainer.analyze', 'trainer.checkFits', 'trainer.resident', 'trainer.runPhase']);
  const out: Entry[] = [];
  const visit = (prefix: string, object: object) => {
    for (const [name, value] of Object.entries(object)) {
      if (typeof value === 'function' && !/^[A-Z]/.test(name)) out.push([`${prefix}${name}`, value as never]);
      else if (typeof value === 'object' && value !== null && prefix === '') visit(`${name}.`, value);
    }
  };
  visit('', pof);
  const proto = PoFTrainer.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (name !== 'constructor' && typeof d.value === 'function') out.push([`trainer.${name}`, (...args) => (d.value as Function).apply(trainer, args)]);
  }
  out.push(['new PoFTrainer', (...args) => new (PoFTrainer as new (...a: unknown[]) => unknown)(...args)]);
  // A Tensor's methods and getters, with the first argument as the receiver (Tensor.prototype.toArray.call({})).
  const tensorProto = Object.getPrototypeOf(pof.tensor(new Float32Array(4))) as object;
  for (const name of Object.getOwnPropertyNames(tensorProto)) {
    const d = Object.getOwnPropertyDescriptor(tensorProto, name)!;
    if (d.get) out.push([`Tensor.${name}`, (self) => d.get!.call(self)]);
    else if (name !== 'constructor' && typeof d.value === 'function') out.push([`Tensor.${name}`, (self, ...args) => (d.value as Function).apply(self, args)]);
  }
  return out.filter(([name]) => !skip.has(name));
}

/** A thrown value is acceptable when it is a PoFError the library meant: not an internal one, not a raw JS error. */
function problemWith(label: string, error: unknown): string | undefined {
  if (!(error instanceof PoFError)) return `${label}: ${(error as Error)?.constructor?.name ?? typeof error}: ${String((error as Error)?.message ?? error).split('\n')[0]}`;
  if (error.code === 'ERR_POF_INTERNAL') return `${label}: an internal error: ${error.message.split('\n')[0]}`;
  return undefined;
}

test.serial('every public function and trainer method, given hostile values, succeeds or throws a meant PoFError (seeded)', async (t) => {
  const trainer = new PoFTrainer({ model: pof.models.mlp({ inputDim: 6, hidden: [4], numClasses: 3 }), device });
  const entries = entryPoints(trainer);
  t.true(entries.length >= 40, `found ${entries.length} entry points`);
  const good = goodPool(trainer);
  const pool = [...Object.entries(BAD), ...Object.entries(good)];
  let state = Number(process.env.POF_API_SWEEP_SEED ?? 12345);
  const next = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
  const calls = Number(process.env.POF_API_SWEEP_CALLS ?? 1500);
  const problems = new Map<string, string>();
  const refusedBy = new Map<string, number>();
  let accepted = 0;
  // First each bad value alone after each prefix of good arguments (none, data, trainer and data, trainer), then random mixtures.
  const prefixes = [[], ['data'], ['trainer', 'data'], ['trainer']].map((names) => names.map((n) => [n, good[n]] as [string, () => unknown]));
  const lists: { entry: Entry; args: [string, () => unknown][] }[] = [];
  for (const entry of entries) {
    for (const bad of Object.entries(BAD)) {
      for (const prefix of prefixes) lists.push({ entry, args: [...prefix, bad] });
    }
  }
  for (let i = 0; i < calls; i += 1) {
    lists.push({ entry: entries[next(entries.length)], args: Array.from({ length: 1 + next(3) }, () => pool[next(pool.length)]) });
  }
  for (const { entry: [name, fn], args } of lists) {
    const label = `${name}(${args.map(([n]) => n).join(', ')})`;
    try {
      const value = fn(...args.map(([, make]) => make()));
      if (value instanceof Promise) await settlesWithin(value, 30_000);
      accepted += 1;
    } catch (error) {
      const problem = problemWith(label, error);
      if (problem && !problems.has(problem.replace(/\(.*?\)/, ''))) problems.set(problem.replace(/\(.*?\)/, ''), problem);
      if (!problem) refusedBy.set((error as PoFError).code, (refusedBy.get((error as PoFError).code) ?? 0) + 1);
    }
  }
  t.log(`${lists.length} calls of ${entries.length} entry points: ${accepted} accepted, refused ${JSON.stringify(Object.fromEntries(refusedBy))}, ${problems.size} problems`);
  t.deepEqual([...problems.values()], []);
});
