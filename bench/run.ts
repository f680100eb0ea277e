// `npm run bench`: SGD, SAM, PoF and PoF with feature reuse for a fixed number of steps after a
// warm-up, on the same synthetic data, side by side; the PyTorch eager reference for SGD and SAM;
// a table on stdout and the figures as JSON.
import * as fs from 'fs';
import { models, PoFTrainer } from '../lib';
import type { ImageSet } from '../lib';
import { native } from '../lib/addon';
import { BenchArgs, parseArgs } from './args';
import { formatProfile, profileIterations, ProfileReport } from './profile';
import { PytorchResult, runPytorchReference } from './pytorch';
import { NUM_CLASSES, syntheticImages } from './synthetic';

const METHODS = ['sgd', 'sam', 'pof', 'pofReuse'] as const;
type MethodName = (typeof METHODS)[number];

interface EpochTime {
  seconds: number;
  /** Seconds after the epoch's first step (null where not measured): PoF with feature reuse computes
   *  B afresh in that step only, so a short benchmark epoch overstates its share of a real epoch. */
  afterFirstStep: number | null;
}

/**
 * One epoch over `data` (one step per batch) with this method: its native wall time. With
 * `stepTimes`, progress after every step also gives the time after the first step (on the CPU only:
 * there a report reads nothing from a device).
 */
async function epoch(trainer: PoFTrainer, method: MethodName, data: ImageSet, batch: number, stepTimes = false): Promise<EpochTime> {
  let first: number | null = null;
  const common = {
    epochs: 1, batchSize: batch, reportEvery: stepTimes ? 1 : 0,
    onStep: (r: { step: number; seconds: number }) => { if (r.step === 1) first = r.seconds; },
  };
  const result = method === 'sgd' || method === 'sam'
    ? await trainer.fit(data, { ...common, method, lr: 0.01 })
    : await trainer.postTrain(data, { ...common, featureReuse: method === 'pofReuse' });
  const seconds = result.history[0].seconds;
  return { seconds, afterFirstStep: first === null ? null : seconds - first };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function formatTable(rates: Record<MethodName, number>, pytorch: PytorchResult | null, a: BenchArgs, threads: number): string {
  const lines = [`${a.model}, batch ${a.batch}, ${a.device}, ${threads} threads, ${a.steps} steps × ${a.rounds} rounds (medians)`,
    'method      images/s   epoch time / SGD   PyTorch eager images/s   ours / PyTorch'];
  for (const m of METHODS) {
    const ref = pytorch && (m === 'sgd' || m === 'sam') ? pytorch.imagesPerSecond[m] : null;
    lines.push(`${m.padEnd(10)} ${rates[m].toFixed(1).padStart(9)} ${(rates.sgd / rates[m]).toFixed(3).padStart(18)} ` +
      `${(ref === null ? '-' : ref.toFixed(1)).padStart(24)} ${(ref === null ? '-' : (rates[m] / ref).toFixed(3)).padStart(16)}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.threads > 0) native.numThreads(a.threads);
  const threads = native.numThreads();
  const trainer = new PoFTrainer({
    model: models.parseModelName(a.model, { numClasses: NUM_CLASSES, shape: [1, 3, 32, 32] }, { classifier: a.classifier }),
    device: a.device, seed: 0,
    performance: { channelsLast: a.channelsLast, cudnnBenchmark: a.cudnnBenchmark, autocast: a.autocast },
  });
  const warm = syntheticImages(a.warmup * a.batch, 1);
  const timed = syntheticImages(a.steps * a.batch, 2);
  console.log(`warming up (${a.warmup} step(s) per method)...`);
  for (const m of METHODS) await epoch(trainer, m, warm, a.batch);
  const stepTimes = a.device === 'cpu' && a.steps > 1;
  native.cudaPeakMemory(a.device, true);

  // Interleaved rounds: a load change on the machine hits every method alike.
  const seconds: Record<MethodName, number[]> = { sgd: [], sam: [], pof: [], pofReuse: [] };
  const later: Record<MethodName, number[]> = { sgd: [], sam: [], pof: [], pofReuse: [] };
  for (let r = 0; r < a.rounds; r += 1) {
    for (const m of METHODS) {
      const t = await epoch(trainer, m, timed, a.batch, stepTimes);
      seconds[m].push(t.seconds);
      if (t.afterFirstStep !== null) later[m].push(t.afterFirstStep);
    }
    console.log(`round ${r + 1}/${a.rounds}: ${METHODS.map((m) => `${m} ${seconds[m][r].toFixed(2)} s`).join(', ')}`);
  }
  const rateOf = (times: Record<MethodName, number[]>, steps: number) => Object.fromEntries(METHODS.map((m) =>
    [m, median(times[m].map((s) => (steps * a.batch) / s))])) as Record<MethodName, number>;
  const rates = rateOf(seconds, a.steps);
  const steady = stepTimes ? rateOf(later, a.steps - 1) : null;
  const cudaPeak = native.cudaPeakMemory(a.device);
  const rssPeakMB = process.resourceUsage().maxRSS / 1024;

  let profile: ProfileReport | null = null;
  if (a.profile) {
    const one = syntheticImages(a.profileSteps * a.batch, 3);
    await epoch(trainer, 'pof', one, a.batch);  // makes the data resident outside the profile
    profile = await profileIterations(() => epoch(trainer, 'pof', one, a.batch), a.profileSteps);
  }

  let pytorch: PytorchResult | null = null;
  if (a.pytorch) {
    console.log('running the PyTorch eager reference...');
    const ref = runPytorchReference(a.python, { ...a, threads });
    pytorch = ref.result;
    if (!pytorch) console.log(`PyTorch reference skipped: ${ref.why}`);
  }

  console.log();
  console.log(formatTable(rates, pytorch, a, threads));
  if (steady) {
    console.log(`\nafter each epoch's first step (a ${a.steps}-step epoch overstates the first step's share): ` +
      METHODS.map((m) => `${m} ${steady[m].toFixed(1)} images/s (${(steady.sgd / steady[m]).toFixed(3)} × SGD's time)`).join(', '));
  }
  if (profile) console.log(`\n${formatProfile(profile)}`);
  const out = {
    device: a.device, model: a.model, batch: a.batch, steps: a.steps, rounds: a.rounds, threads,
    imagesPerSecond: rates,
    ratioToSgd: Object.fromEntries(METHODS.map((m) => [m, rates.sgd / rates[m]])),
    afterFirstStep: steady && {
      imagesPerSecond: steady, ratioToSgd: Object.fromEntries(METHODS.map((m) => [m, steady.sgd / steady[m]])),
    },
    pytorch: pytorch ? { sgd: pytorch.imagesPerSecond.sgd, sam: pytorch.imagesPerSecond.sam } : null,
    pytorchVersion: pytorch?.torch ?? null,
    ratioToPytorch: pytorch ? { sgd: rates.sgd / pytorch.imagesPerSecond.sgd, sam: rates.sam / pytorch.imagesPerSecond.sam } : null,
    peakMemoryMB: cudaPeak !== null ? cudaPeak / 2 ** 20 : rssPeakMB,
    peakMemoryKind: cudaPeak !== null ? 'cuda max allocated' : 'process peak RSS',
    hostPeakRssMB: rssPeakMB,
    secondsPerRound: seconds,
    performance: { channelsLast: a.channelsLast, cudnnBenchmark: a.cudnnBenchmark, autocast: a.autocast },
    libtorch: native.versions().libtorch,
    profile,
  };
  if (a.json) {
    fs.writeFileSync(a.json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nwrote ${a.json}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
