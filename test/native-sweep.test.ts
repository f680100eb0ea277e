// Every entry point of the addon, called with bad arguments, must answer with a typed JS error (a
// PoFError with a code other than ERR_POF_INTERNAL: the boundary anticipated the mistake), never abort
// the process or leak LibTorch's own words. The exports are enumerated, so a new entry point is swept
// without editing this file.
import test from 'ava';
import { PoFError } from '../lib';
import { native } from '../lib/addon';
import { nativeDataset } from './helpers/native-dataset';

/** A typed array whose buffer was transferred away (as postMessage does): it reads as empty. */
function detached<T extends Uint8Array | Float32Array>(array: T): T {
  structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] });
  return array;
}

// Values that are wrong for every parameter of every entry point (right ones are skipped below): among them
// sizes past int32 and float32, and typed arrays Node-API cannot read (shared, detached, a Proxy of one).
const BAD: unknown[] = [undefined, null, NaN, -1, 2.5, 1e300, 2 ** 31, -Infinity, '', 'nonsense', true, {}, [], [-1, NaN],
  new Float64Array(3), new Int32Array(0), Symbol('x'), () => 1, { inputs: new Uint8Array(4), shape: [2, 2] },
  new Float32Array(new SharedArrayBuffer(16)), detached(new Float32Array(4)), new Proxy(new Float32Array(4), {}),
  { inputs: new Uint8Array(new SharedArrayBuffer(4)), shape: [2, 2], labels: new Uint8Array(2), numClasses: 2 },
  { inputs: new Float32Array(4), shape: [2, 2], labels: detached(new Uint8Array(2)), numClasses: 2 }];

// Positional arguments tried per call: each BAD value alone, then as every argument at once.
function argumentLists(arity: number): unknown[][] {
  const lists: unknown[][] = [[]];
  for (const bad of BAD) {
    for (let position = 0; position < Math.max(1, arity); position += 1) {
      const args: unknown[] = Array.from({ length: Math.max(1, arity) }, () => undefined);
      args[position] = bad;
      lists.push(args);
    }
    lists.push(Array.from({ length: Math.max(1, arity) }, () => bad));
  }
  return lists;
}

interface Outcome { name: string; args: unknown[]; error?: unknown }

async function outcome(name: string, args: unknown[], call: () => unknown): Promise<Outcome> {
  try {
    const value = call();
    if (value instanceof Promise) await value;
    return { name, args };
  } catch (error) {
    return { name, args, error };
  }
}

/** A thrown value is acceptable when it is a PoFError the boundary meant (not an internal one). */
function unacceptable(o: Outcome): string | undefined {
  if (o.error === undefined) return undefined;
  const e = o.error as PoFError;
  if (!(e instanceof PoFError)) return `${o.name}: threw a non-PoFError ${String((e as { constructor?: { name?: string } })?.constructor?.name)}: ${String((e as Error)?.message ?? e)}`;
  if (e.code === 'ERR_POF_INTERNAL') return `${o.name}: an internal error leaked: ${e.message}`;
  if (/mat1 and mat2|out of bounds|negative dimension|Exception raised from/.test(e.message)) return `${o.name}: LibTorch's words: ${e.message}`;
  return undefined;
}

function good() {
  const model = new native.Model({ kind: 'mlp', inputDim: 4, hidden: [3], numClasses: 2 }, 0, 'cpu');
  const dataset = nativeDataset({ inputs: new Float32Array(16), shape: [4, 4], labels: new Uint8Array([0, 1, 0, 1]), numClasses: 2 });
  const engine = new native.Engine(model, 0);
  const tensor = new native.Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
  // Made by connectProcessGroup only: one made directly holds no job, and every member says so.
  const processGroup = new native.ProcessGroup();
  return { Model: model, Dataset: dataset, Engine: engine, Tensor: tensor, ProcessGroup: processGroup };
}

// Calls that would change process-wide state with a value BAD happens to make valid.
const SKIP = new Set(['setErrorClasses']);

test('every native function refuses bad arguments with a typed error and the process lives on', async (t) => {
  const functions: [string, (...args: unknown[]) => unknown][] = [];
  for (const [name, value] of Object.entries(native)) {
    if (typeof value === 'function' && !/^[A-Z]/.test(name) && !SKIP.has(name)) functions.push([name, value as never]);
  }
  for (const [name, value] of Object.entries(native.analysis)) functions.push([`analysis.${name}`, value as never]);
  t.true(functions.length >= 15, `found ${functions.length} functions`);
  const threads = native.numThreads();
  const problems: string[] = [];
  let calls = 0;
  for (const [name, fn] of functions) {
    for (const args of argumentLists(Math.max(fn.length, 6))) {
      const o = await outcome(name, args, () => fn(...args));
      calls += 1;
      const p = unacceptable(o);
      if (p) problems.push(p);
    }
  }
  if (native.numThreads() !== threads) native.numThreads(threads);
  try { native.stopOpProfile(); } catch { /* not started */ }
  native.watchHostSyncs(false);
  t.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${calls} calls`);
  t.log(`${calls} calls of ${functions.length} functions, ${problems.length} problems`);
});

test('every native class refuses bad constructor and method arguments with a typed error', async (t) => {
  const classes = Object.entries(native).filter(([name, v]) => typeof v === 'function' && /^[A-Z]/.test(name));
  t.deepEqual(classes.map(([n]) => n).sort(), ['Dataset', 'Engine', 'Model', 'ProcessGroup', 'Tensor']);
  const problems: string[] = [];
  let calls = 0;
  for (const [name, Class] of classes) {
    for (const args of argumentLists(4)) {
      if (name === 'Tensor' && args.length === 0) continue;  // the empty Tensor the addon fills in itself
      const o = await outcome(`new ${name}`, args, () => new (Class as new (...a: unknown[]) => unknown)(...args));
      calls += 1;
      const p = unacceptable(o);
      if (p) problems.push(p);
    }
  }
  const instances = good();
  for (const [className, instance] of Object.entries(instances)) {
    const proto = Object.getPrototypeOf(instance);
    for (const method of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, method)!;
      if (method === 'constructor' || typeof d.value !== 'function' || method === 'dispose') continue;
      for (const args of argumentLists(4)) {
        if (args.length === 0 && ['info', 'stateDict', 'stateShapes', 'parameterNames', 'toArray', 'cancel', 'optimizerState', 'rngState'].includes(method)) continue;
        const o = await outcome(`${className}.${method}`, args, () => d.value.apply(instance, args));
        calls += 1;
        const p = unacceptable(o);
        if (p) problems.push(p);
      }
    }
  }
  t.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${calls} calls`);
  t.log(`${calls} calls on ${classes.length} classes, ${problems.length} problems`);
  // The instances still work after all of that.
  t.is(instances.Dataset.size, 4);
  t.deepEqual(instances.Tensor.shape, [2, 2]);
});

test('a disposed model, dataset or engine answers DisposedError, not a crash', async (t) => {
  const { Model: model, Dataset: dataset, Engine: engine } = good();
  engine.dispose();
  model.dispose();
  dataset.dispose();
  t.throws(() => model.info(), { code: 'ERR_POF_DISPOSED' });
  t.throws(() => model.stateDict(), { code: 'ERR_POF_DISPOSED' });
  t.throws(() => dataset.size, { code: 'ERR_POF_DISPOSED' });
  await t.throwsAsync(async () => engine.evaluate(dataset, 4), { code: 'ERR_POF_DISPOSED' });
  t.throws(() => new native.Engine(model, 0), { code: 'ERR_POF_DISPOSED' });
});

test('native memory is reported to V8, so dropped models are collected without an explicit gc', async (t) => {
  // 150 models of 8 MB each, dropped at once: without the report V8 sees only small JS wrappers and
  // RSS climbs by the full 1.2 GB before it collects; with it, a collection runs every few models.
  const rss = () => process.memoryUsage().rss;
  const start = rss();
  let peak = 0;
  for (let i = 0; i < 150; i += 1) {
    new native.Model({ kind: 'mlp', inputDim: 2000, hidden: [1000], numClasses: 10 }, 0, 'cpu');
    await new Promise((resolve) => setImmediate(resolve));  // finalizers run on the event loop
    peak = Math.max(peak, rss() - start);
  }
  t.true(peak < 600e6, `peak RSS growth ${(peak / 1e6).toFixed(0)} MB for 1200 MB of dropped weights`);
});

test('random argument lists mixing valid and invalid values never crash or leak an internal error (seeded)', async (t) => {
  const { Model: model, Dataset: dataset, Engine: engine, Tensor: matrix } = good();
  engine.configureOptimizer({ featuresOnly: false, lr: 0.01, momentum: 0.9, weightDecay: 0, nesterov: true });
  const options = { method: 'sgd', batchSize: 2, rho: 0.05, gamma: 2, gammaMode: 'fixed', weakBatchSize: 2, featureReuse: false,
    initialStep: 1, maxStep: 100, partitions: 16, epoch: 0, totalEpochs: 1, reportEvery: 0 };
  const pool: unknown[] = [...BAD, model, dataset, engine, matrix, new native.Tensor(Int32Array.from([0, 1]), [2]),
    Int32Array.from([0, 1]), Int32Array.from([3, 0, 2]), Int32Array.from([9]), new Float32Array(21), { subset: ['classifier'] },
    { subset: ['all'], k: 1 }, 'cpu', 'classifier', 0, 1, 4, options, { ...options, method: 'pof' }, { ...options, partitions: 5000 },
    { train: true, seed: 1 }, [[0.1, 0.2]], [Float64Array.from({ length: 8 }, () => 0.1)]];
  const targets: [string, (...args: unknown[]) => unknown, unknown][] = [];
  for (const [name, v] of Object.entries(native)) {
    if (typeof v === 'function' && !/^[A-Z]/.test(name) && !SKIP.has(name)) targets.push([name, v as never, undefined]);
  }
  for (const [name, v] of Object.entries(native.analysis)) targets.push([`analysis.${name}`, v as never, undefined]);
  for (const instance of [model, dataset, engine, matrix]) {
    const proto = Object.getPrototypeOf(instance);
    for (const m of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, m)!;
      if (m !== 'constructor' && m !== 'dispose' && typeof d.value === 'function') targets.push([`${proto.constructor.name}.${m}`, d.value, instance]);
    }
  }
  let state = Number(process.env.POF_SWEEP_SEED ?? 12345);
  const next = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
  const threads = native.numThreads();
  const problems: string[] = [];
  const calls = Number(process.env.POF_SWEEP_CALLS ?? 3000);
  let succeeded = 0;
  for (let i = 0; i < calls; i += 1) {
    const [name, fn, self] = targets[next(targets.length)];
    const args = Array.from({ length: next(7) }, () => pool[next(pool.length)]);
    const o = await outcome(name, args, () => fn.apply(self, args));
    if (o.error === undefined) succeeded += 1;
    const p = unacceptable(o);
    if (p) problems.push(p);
  }
  t.log(`${calls} calls, ${succeeded} accepted, ${calls - succeeded - problems.length} refused with a typed error`);
  native.numThreads(threads);
  try { native.stopOpProfile(); } catch { /* not started */ }
  native.watchHostSyncs(false);
  t.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${calls} calls`);
  t.is(dataset.size, 4);
});
