// Images from a folder to the training step at 3x224x224 (issue 22), measured side by side on the same JPEGs:
//   node dist/bench/image-pipeline.js [--images 640] [--rounds 3] [--batch 64] [--device cpu|cuda] [--json out.json]
// 1. prepare: `datasets.prepare` (sharp, decode + resize to 256 once) against a PIL decode-and-resize loop.
// 2. delivery: batches from the prepared store with the on-device random-resized-crop (224) + flip + normalise,
//    against PyTorch's DataLoader (2 workers) decoding each JPEG with PIL and applying the same transform.
// 3. the data's share of a PoF step on ResNet-18 at 224 px: the two batches a step gathers (B and B~) against
//    the step itself (postTrain over a few steps).
// Rounds interleave ours and PyTorch's in alternating order; medians of the per-round ratios, with ranges.
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { datasets, DeviceName, models, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { nativeCrops } from '../lib/data/resized-crop';
import { loadSharp } from '../lib/data/sharp';

interface Args { images: number; rounds: number; batch: number; device: DeviceName; json?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { images: 640, rounds: 3, batch: 64, device: 'cpu' };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    if (key === '--images') args.images = Number(value);
    else if (key === '--rounds') args.rounds = Number(value);
    else if (key === '--batch') args.batch = Number(value);
    else if (key === '--device') args.device = value as DeviceName;  // the Dataset and the trainer check it
    else if (key === '--json') args.json = value;
    else throw new Error(`unknown option ${key}: expected --images, --rounds, --batch, --device or --json`);
  }
  return args;
}

const REFERENCE = path.join(__dirname, '..', '..', 'bench', 'image_pipeline_reference.py');

function python(args: string[]): { imagesPerSecond: number | number[]; pt2?: string } {
  const r = spawnSync('python3', [REFERENCE, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`image_pipeline_reference.py ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
const range = (values: number[]) => [Math.min(...values), Math.max(...values)];
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** ImageNet-like JPEGs (500x375 or 375x500, quality 90): smooth colour fields with noise, 4 classes. */
async function writeJpegs(dir: string, n: number): Promise<void> {
  const sharp = loadSharp('bench');
  for (let i = 0; i < n; i += 1) {
    const [w, h] = i % 3 === 0 ? [375, 500] : [500, 375];
    const rgb = Buffer.alloc(w * h * 3);
    let s = i + 1;
    for (let p = 0; p < w * h; p += 1) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const [x, y] = [p % w, Math.floor(p / w)];
      rgb[p * 3] = (x * 255) / w + (s >>> 28);
      rgb[p * 3 + 1] = (y * 255) / h + ((s >>> 24) & 15);
      rgb[p * 3 + 2] = ((i % 4) * 60 + (s >>> 26)) & 255;
    }
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 })
      .toFile(path.join(dir, `class${i % 4}`, `${String(i).padStart(5, '0')}.jpg`));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(path.join(os.tmpdir(), 'pof-bench-images-'));
  try {
    const source = path.join(root, 'jpegs');
    for (let k = 0; k < 4; k += 1) require('fs').mkdirSync(path.join(source, `class${k}`), { recursive: true });
    await writeJpegs(source, args.images);
    console.log(`${args.images} JPEGs (500x375 / 375x500) in 4 classes written`);

    // 1. prepare vs PIL decode-and-resize, alternating.
    const store = path.join(root, 'store');
    const prepareRatios: number[] = [], ours: number[] = [], pil: number[] = [];
    for (let r = 0; r < args.rounds; r += 1) {
      const runOurs = async () => {
        const t = process.hrtime.bigint();
        await datasets.prepare({ source, out: store, imageSize: 256, overwrite: true });
        ours.push(args.images / seconds(t));
      };
      const runPil = () => { pil.push(python(['resize', source, '--size', '256']).imagesPerSecond as number); };
      if (r % 2 === 0) { await runOurs(); runPil(); } else { runPil(); await runOurs(); }
      prepareRatios.push(ours[ours.length - 1] / pil[pil.length - 1]);
    }
    const prepare = { oursImagesPerSecond: median(ours), pilImagesPerSecond: median(pil), ratio: median(prepareRatios), ratioRange: range(prepareRatios) };
    console.log(`prepare to 256 px: ours ${prepare.oursImagesPerSecond.toFixed(0)} images/s, PIL loop ${prepare.pilImagesPerSecond.toFixed(0)}; ` +
      `ours/PIL ${prepare.ratio.toFixed(2)} (${prepare.ratioRange.map((x) => x.toFixed(2)).join('-')})`);

    // 2. delivery: one epoch of batches from the store (random order, crop + flip + normalise) vs the DataLoader.
    const set = { ...(await datasets.prepared(store)), augmentation: datasets.imagenetAugmentation(224) };
    const ds = new native.Dataset({
      kind: 'pixels', inputs: set.images, shape: set.shape, labels: set.labels, numClasses: 4, mean: set.normalization!.mean,
      std: set.normalization!.std, cropPadding: 0, flip: true, cutout: 0, device: args.device, ...nativeCrops(set),
    });
    const epochOurs = () => {
      const order = Int32Array.from({ length: args.images }, (_, i) => i).sort(() => Math.random() - 0.5);
      const t = process.hrtime.bigint();
      let seen = 0;
      for (let b = 0; b + args.batch <= args.images; b += args.batch) {
        seen += ds.batch(order.subarray(b, b + args.batch), { train: true, seed: b }).inputs.shape[0];
      }
      return seen / seconds(t);
    };
    epochOurs();  // warm-up: page cache, allocator
    const deliveryRatios: number[] = [], deliveredOurs: number[] = [], deliveredTorch: number[] = [];
    for (let r = 0; r < args.rounds; r += 1) {
      const runTorch = () => {
        const rates = python(['loader', source, '--batch', String(args.batch), '--workers', '2', '--epochs', '2']).imagesPerSecond as number[];
        deliveredTorch.push(rates[rates.length - 1]);
      };
      if (r % 2 === 0) { deliveredOurs.push(epochOurs()); runTorch(); } else { runTorch(); deliveredOurs.push(epochOurs()); }
      deliveryRatios.push(deliveredOurs[r] / deliveredTorch[r]);
    }
    const delivery = {
      oursImagesPerSecond: median(deliveredOurs), dataLoaderImagesPerSecond: median(deliveredTorch),
      ratio: median(deliveryRatios), ratioRange: range(deliveryRatios),
    };
    console.log(`delivered at 3x224x224 (crop + flip + normalise): store ${delivery.oursImagesPerSecond.toFixed(0)} images/s, ` +
      `DataLoader (PIL, 2 workers) ${delivery.dataLoaderImagesPerSecond.toFixed(0)}; ours/DataLoader ${delivery.ratio.toFixed(2)} ` +
      `(${delivery.ratioRange.map((x) => x.toFixed(2)).join('-')})`);

    // 3. the data's share of a PoF step on ResNet-18 at 224 px (batch 32, B~ 32).
    const pt2 = python(['export', path.join(root, 'resnet18.pt2')]).pt2!;
    const gather: number[] = [];
    for (let r = 0; r < 5; r += 1) {
      const t = process.hrtime.bigint();
      ds.batch(Int32Array.from({ length: 32 }, (_, i) => (i * 7 + r) % args.images), { train: true, seed: r });
      ds.batch(Int32Array.from({ length: 32 }, (_, i) => (i * 11 + r) % args.images), { train: true, seed: r + 100 });
      gather.push(seconds(t));
    }
    const small = { ...set, labels: set.labels.subarray(0, 96), shape: [96, ...set.shape.slice(1)] };
    const trainer = new PoFTrainer({ model: models.exported({ file: pt2, classifier: 'fc' }), device: args.device, seed: 1 });
    const stepSeconds: number[] = [];
    await trainer.postTrain(small, { epochs: 2, batchSize: 32, weakBatchSize: 32, lr: 1e-4,
      onEpoch: (report) => { stepSeconds.push(report.seconds / 3); } });
    const share = { gatherSeconds: median(gather), pofStepSeconds: median(stepSeconds.slice(1)), share: median(gather) / median(stepSeconds.slice(1)) };
    console.log(`PoF step, ResNet-18 at 224 px, batch 32 + B~ 32: ${share.pofStepSeconds.toFixed(2)} s; its two batches' crop + flip + ` +
      `normalise ${(share.gatherSeconds * 1000).toFixed(0)} ms: ${(100 * share.share).toFixed(1)} % of the step`);
    ds.dispose();
    trainer.dispose();
    if (args.json) {
      writeFileSync(args.json, JSON.stringify({ machine: `${os.cpus().length} cores`, device: args.device, date: new Date().toISOString(), images: args.images,
        rounds: args.rounds, batch: args.batch, prepare, delivery, share }, null, 2) + '\n');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
