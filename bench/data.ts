// Loader and augmentation benchmark (issue 4): seconds to read each dataset format at full size, and the
// device-side batch work (gather, crop, flip, normalise, cutout) relative to one WRN-16-4 training step.
//   npm run bench:data -- [--device cpu|cuda] [--batch 256] [--repeats 20] [--json out.json]
// CIFAR and SVHN files are written at their real sizes with random content into a temporary directory
// (the reading cost does not depend on the pixel values); Fashion-MNIST is read from ../shared when present.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { datasets, DeviceName, ImageSet, models, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { nchwToColumnMajor, writeMat } from '../test/helpers/matwriter';

interface Args { device: DeviceName; batch: number; repeats: number; json?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { device: 'cpu', batch: 256, repeats: 20 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    if (key === '--device') args.device = value as DeviceName;  // the trainer checks it
    else if (key === '--batch') args.batch = Number(value);
    else if (key === '--repeats') args.repeats = Number(value);
    else if (key === '--json') args.json = value;
    else throw new Error(`unknown option ${key}: expected --device, --batch, --repeats or --json`);
  }
  return args;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i += 1) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** CIFAR binary records: label byte(s) (each below its class count) then 3072 pixels. */
function cifarRecords(n: number, labelClasses: number[], seed: number): Uint8Array {
  const record = labelClasses.length + 3072;
  const bytes = randomBytes(n * record, seed);
  for (let r = 0; r < n; r += 1) labelClasses.forEach((k, b) => { bytes[r * record + b] %= k; });
  return bytes;
}

function svhnMat(n: number, seed: number, compress: boolean): Buffer {
  const images = randomBytes(n * 3072, seed);
  const labels = Array.from(randomBytes(n, seed + 1), (v) => 1 + (v % 10));
  return writeMat([
    { name: 'X', className: 'uint8', dims: [32, 32, 3, n], data: nchwToColumnMajor(images, n, 3, 32, 32), compress },
    { name: 'y', className: 'double', dims: [n, 1], data: labels, storedAs: 'uint8', compress },
  ]);
}

async function seconds<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const out = await work();
  return [out, Number(process.hrtime.bigint() - start) / 1e9];
}

async function loadTimes(dir: string) {
  const cifar10Dir = path.join(dir, 'cifar-10-batches-bin');
  const cifar100Dir = path.join(dir, 'cifar-100-binary');
  const svhnDir = path.join(dir, 'svhn'), svhnZDir = path.join(dir, 'svhn-compressed');
  for (const d of [cifar10Dir, cifar100Dir, svhnDir, svhnZDir]) mkdirSync(d);
  for (let b = 1; b <= 5; b += 1) writeFileSync(path.join(cifar10Dir, `data_batch_${b}.bin`), cifarRecords(10000, [10], b));
  writeFileSync(path.join(cifar10Dir, 'test_batch.bin'), cifarRecords(10000, [10], 9));
  writeFileSync(path.join(cifar100Dir, 'train.bin'), cifarRecords(50000, [20, 100], 11));
  writeFileSync(path.join(cifar100Dir, 'test.bin'), cifarRecords(10000, [20, 100], 12));
  // SVHN's official train/test files (73,257 / 26,032 images); extra (531,131) is left out to keep memory modest.
  writeFileSync(path.join(svhnDir, 'train_32x32.mat'), svhnMat(73257, 21, false));
  writeFileSync(path.join(svhnDir, 'test_32x32.mat'), svhnMat(26032, 22, false));
  writeFileSync(path.join(svhnZDir, 'train_32x32.mat'), svhnMat(73257, 21, true));
  writeFileSync(path.join(svhnZDir, 'test_32x32.mat'), svhnMat(26032, 22, true));
  const fashionDir = path.resolve(__dirname, '../../../shared/datasets/fashion-mnist');
  const jobs: [string, () => Promise<unknown>][] = [
    ['cifar10 (binary, 60k)', () => datasets.cifar10(cifar10Dir)],
    ['cifar100 (binary, 60k)', () => datasets.cifar100(cifar100Dir)],
    ['svhn (.mat, 99k)', () => datasets.svhn(svhnDir)],
    ['svhn (.mat miCOMPRESSED, 99k)', () => datasets.svhn(svhnZDir)],
  ];
  if (existsSync(fashionDir)) jobs.push(['fashion-mnist (IDX .gz, 70k, real)', () => datasets.fashionMnist(fashionDir)]);
  const out: Record<string, number> = {};
  for (const [name, job] of jobs) out[name] = (await seconds(job))[1];
  return out;
}

/** Mean seconds of `work` over `repeats` runs after one warm-up run. */
async function meanSeconds(repeats: number, work: (i: number) => unknown): Promise<number> {
  await work(-1);
  const start = process.hrtime.bigint();
  for (let i = 0; i < repeats; i += 1) await work(i);
  return Number(process.hrtime.bigint() - start) / 1e9 / repeats;
}

async function augmentationVsStep(args: Args) {
  const n = 4096;
  const cifarLike: ImageSet = datasets.fromArrays({
    images: randomBytes(n * 3072, 5), labels: Int32Array.from({ length: n }, (_, i) => i % 10), shape: [n, 3, 32, 32],
    numClasses: 10, name: 'cifar-like', normalization: { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] },
    augmentation: { cropPadding: 4, flip: true, cutout: 16 },
  });
  const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 16, widen: 4, numClasses: 10 }), device: args.device, seed: 0 });
  const resident = trainer.resident(cifarLike, 'bench');
  const indices = (i: number) => Int32Array.from({ length: args.batch }, (_, k) => ((i + 1) * 7919 + k * 13) % n);
  // Reading one element back makes the timing include the device work on CUDA (it waits for the batch).
  const batchSeconds = await meanSeconds(args.repeats, (i) => {
    const b = resident.batch(indices(i), { train: true, seed: i + 1 });
    return b.inputs.to('cpu').toArray()[0];
  });
  const stepRepeats = Math.max(2, Math.ceil(args.repeats / 5));
  const stepSeconds = await meanSeconds(stepRepeats, (i) => trainer.step(cifarLike, { method: 'sgd', indices: indices(i) }));
  return { batchSeconds, stepSeconds, stepRepeats };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pof-bench-data-'));
  try {
    console.log(`LibTorch ${native.versions().libtorch}, device ${args.device}, ${native.numThreads()} threads`);
    const loads = await loadTimes(dir);
    console.log('\nload (seconds, file to ImageSet)');
    for (const [name, s] of Object.entries(loads)) console.log(`  ${name.padEnd(36)} ${s.toFixed(3)}`);
    const aug = await augmentationVsStep(args);
    const share = aug.batchSeconds / aug.stepSeconds;
    console.log(`\nbatch of ${args.batch} (gather + crop + flip + normalise + cutout): ${(1000 * aug.batchSeconds).toFixed(2)} ms`);
    console.log(`one WRN-16-4 SGD step on ${args.batch} images:                  ${(1000 * aug.stepSeconds).toFixed(1)} ms (mean of ${aug.stepRepeats})`);
    console.log(`data work / step: ${(100 * share).toFixed(2)} %  (goal: under 5 %) ${share < 0.05 ? 'met' : 'NOT met'}`);
    if (args.json) {
      writeFileSync(args.json, JSON.stringify({
        device: args.device, batch: args.batch, loadSeconds: loads, batchSeconds: aug.batchSeconds,
        wrn16x4StepSeconds: aug.stepSeconds, dataShareOfStep: share,
      }, null, 2));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
