// Streamed data (issue 22): a prepared store, or a user's float32 .npy (fromNpy's stream, each batch checked for
// non-finite values as it is read), read a batch at a time (pread, the next batch read ahead on a worker thread)
// against the resident copy of the same bytes, and a store past the old 2^32-value ceiling.
//   node dist/bench/stored-data.js [--pairs 5] [--large-gb 4.5] [--device cpu|cuda] [--json out.json]
// Part 1 times one SGD epoch of an MLP on each, in interleaved pairs (resident/store, then store/resident),
// and reports the median of the per-pair ratios store/resident with its range. Part 2 writes a store larger
// than the old ceiling, trains one epoch on it and samples the process's anonymous RSS (not the page cache)
// every 20 ms: memory beyond the model's own stays bounded by the batches.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArraySet, datasets, models, PoFTrainer } from '../lib';
import type { DeviceName } from '../lib/defaults';
import { npyBytes } from '../test/helpers/npy-writer';
import { writeStore } from '../test/helpers/store-writer';

interface Args { pairs: number; largeGb: number; device: DeviceName; json?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { pairs: 5, largeGb: 4.5, device: 'cpu' };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    if (key === '--pairs') args.pairs = Number(value);
    else if (key === '--large-gb') args.largeGb = Number(value);
    else if (key === '--device') args.device = value as DeviceName;  // the trainer checks it
    else if (key === '--json') args.json = value;
    else throw new Error(`unknown option ${key}: expected --pairs, --large-gb, --device or --json`);
  }
  return args;
}

/** Pixels whose mean depends on the label (so that the MLP has something to learn), cheap to make. */
function images(n: number, side: number, seed: number): ArraySet {
  const per = 3 * side * side;
  const pixels = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i += 1) {
    labels[i] = i % 4;
    for (let k = 0; k < per; k += 1) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      pixels[i * per + k] = (s >>> 25) + labels[i] * 32;
    }
  }
  return datasets.fromArrays({ images: pixels, labels, shape: [n, 3, side, side], numClasses: 4, name: `bench-${side}`,
    normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, augmentation: { cropPadding: 0, flip: true, cutout: 0 } });
}

/** Float32 values [n, dim] whose mean depends on the label, as a .npy file in `dir`, with int64 labels. */
function valuesNpy(dir: string, n: number, dim: number): { inputs: string; labels: string } {
  const values = new Float32Array(n * dim);
  const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 4));
  for (let i = 0; i < values.length; i += 1) values[i] = Math.sin(i * 0.37) + Number(labels[Math.floor(i / dim)]) * 0.5;
  const [inputs, labelsFile] = [path.join(dir, 'values-x.npy'), path.join(dir, 'values-y.npy')];
  writeFileSync(inputs, npyBytes({ descr: '<f4', shape: [n, dim], data: new Uint8Array(values.buffer) }));
  writeFileSync(labelsFile, npyBytes({ descr: '<i8', shape: [n], data: new Uint8Array(labels.buffer) }));
  return { inputs, labels: labelsFile };
}

async function epochSeconds(data: Parameters<PoFTrainer['fit']>[0], inputDim: number, batchSize: number, device: DeviceName): Promise<number> {
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim, hidden: [64], numClasses: 4 }), device, seed: 1 });
  const start = process.hrtime.bigint();
  await trainer.fit(data, { epochs: 1, batchSize, lr: 0.01 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  trainer.dispose();
  return seconds;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function rssAnonBytes(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('RssAnon:'));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : NaN;
}

async function storeVsResident(dir: string, pairs: number, device: DeviceName) {
  const rows = [];
  const pixels = async (side: number, n: number) => {
    const resident = images(n, side, side);
    const stored = { ...(await datasets.prepared(writeStore(path.join(dir, `s${side}`), resident))), augmentation: resident.augmentation };
    return { size: `3x${side}x${side}`, resident, stored, inputDim: 3 * side * side };
  };
  const values = async (dim: number, n: number) => {
    const files = valuesNpy(dir, n, dim);
    return { size: `float32 .npy [N, ${dim}] (stream)`, resident: await datasets.fromNpy(files), stored: await datasets.fromNpy({ ...files, stream: true }),
      inputDim: dim };
  };
  for (const [make, n, batch] of [[() => pixels(32, 16384), 16384, 128], [() => pixels(224, 768), 768, 64], [() => values(768, 16384), 16384, 128]] as const) {
    const { size, resident, stored, inputDim } = await make();
    await epochSeconds(resident, inputDim, batch, device);  // warm-up: page cache, allocator
    await epochSeconds(stored, inputDim, batch, device);
    const ratios: number[] = [], storeTimes: number[] = [], residentTimes: number[] = [];
    for (let p = 0; p < pairs; p += 1) {
      // Alternate which goes first, so that drift within a pair does not land on one side.
      const order = p % 2 === 0 ? ['resident', 'store'] : ['store', 'resident'];
      const t: Record<string, number> = {};
      for (const which of order) t[which] = await epochSeconds(which === 'store' ? stored : resident, inputDim, batch, device);
      ratios.push(t.store / t.resident);
      storeTimes.push(t.store);
      residentTimes.push(t.resident);
    }
    const row = {
      size, examples: n, batch, pairs,
      residentSeconds: median(residentTimes), storeSeconds: median(storeTimes),
      storeImagesPerSecond: n / median(storeTimes),
      ratio: median(ratios), ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    };
    console.log(`${row.size} x ${n}, batch ${batch}: resident ${row.residentSeconds.toFixed(2)} s, store ${row.storeSeconds.toFixed(2)} s per epoch; ` +
      `store/resident median ${row.ratio.toFixed(3)} (range ${row.ratioRange.map((r) => r.toFixed(3)).join('-')}) over ${pairs} pairs`);
    rows.push(row);
  }
  return rows;
}

async function largeStore(dir: string, gigabytes: number, device: DeviceName) {
  const side = 224, per = 3 * side * side;
  const n = Math.ceil((gigabytes * 1e9) / per);
  const store = writeStore(path.join(dir, 'large'), images(4, side, 1), { examples: n, shape: [3, side, side] });
  const header = npyBytes({ descr: '|u1', shape: [n, 3, side, side] });
  const fd = openSync(path.join(store, 'inputs.npy'), 'w');
  writeSync(fd, header);
  const chunk = images(256, side, 7).images as Uint8Array;  // 256 distinct images, repeated
  const started = Date.now();
  for (let i = 0; i < n; i += 256) writeSync(fd, chunk, 0, Math.min(256, n - i) * per);
  closeSync(fd);
  const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 4));
  writeFileSync(path.join(store, 'labels.npy'), npyBytes({ descr: '<i8', shape: [n], data: new Uint8Array(labels.buffer) }));
  console.log(`large store: ${n} examples of 3x${side}x${side} = ${((n * per) / 1e9).toFixed(2)} GB (${n * per} values > 2^32 = ${2 ** 32}), ` +
    `written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const set = await datasets.prepared(store);
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: per, hidden: [8], numClasses: 4 }), device, seed: 1 });
  await trainer.evaluate(datasets.fromArrays({ ...images(8, side, 3), augmentation: undefined }));  // the model's own memory, allocated
  const baseline = rssAnonBytes();
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rssAnonBytes()); }, 20);
  const start = process.hrtime.bigint();
  const result = await trainer.fit(set, { epochs: 1, batchSize: 256, lr: 0.001 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  peak = Math.max(peak, rssAnonBytes());
  const row = {
    examples: n, gigabytes: (n * per) / 1e9, seconds, imagesPerSecond: n / seconds, loss: result.history[0].loss,
    baselineAnonMB: baseline / 2 ** 20, peakAnonMB: peak / 2 ** 20, peakAboveBaselineMB: (peak - baseline) / 2 ** 20,
  };
  console.log(`large store: 1 epoch in ${seconds.toFixed(1)} s (${row.imagesPerSecond.toFixed(0)} images/s, loss ${row.loss.toFixed(4)}); ` +
    `anonymous RSS ${row.baselineAnonMB.toFixed(0)} MB before, peak ${row.peakAnonMB.toFixed(0)} MB (+${row.peakAboveBaselineMB.toFixed(0)} MB)`);
  trainer.dispose();
  return row;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pof-bench-stored-'));
  try {
    const pairs = await storeVsResident(dir, args.pairs, args.device);
    const large = args.largeGb > 0 ? await largeStore(dir, args.largeGb, args.device) : null;
    const out = { machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, device: args.device, date: new Date().toISOString(),
      pairs, large };
    if (args.json) writeFileSync(args.json, JSON.stringify(out, null, 2) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
