// `npm run bench:distributed -- [--world-size 2] [--model wrn-16-4] [--batch 64] [--steps 4] [--rounds 3] [--json FILE]`:
// images/s of SGD and PoF in one process and in a job of --world-size processes on 127.0.0.1 (Gloo), on the
// same global batch, with the all-reduce time of one step's gradients and its share of a step; then what
// that means for the paper's setting (WRN-28-10 on 16 GPUs), with the assumptions printed beside it.
// The machine's cores are split between the ranks, so on a small CPU the job cannot be faster: the figure
// that carries over is the communication share.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { models, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { NUM_CLASSES, syntheticImages } from './synthetic';

interface Args { worldSize: number; model: string; batch: number; steps: number; rounds: number; json?: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { worldSize: 2, model: 'wrn-16-4', batch: 64, steps: 4, rounds: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    if (key === '--world-size') a.worldSize = Number(value);
    else if (key === '--model') a.model = value;
    else if (key === '--batch') a.batch = Number(value);
    else if (key === '--steps') a.steps = Number(value);
    else if (key === '--rounds') a.rounds = Number(value);
    else if (key === '--json') a.json = value;
    else throw new Error(`unknown option ${key}: expected --world-size, --model, --batch, --steps, --rounds or --json`);
  }
  for (const [k, v] of Object.entries(a)) if (k !== 'model' && k !== 'json' && !(Number.isInteger(v) && v >= 1)) throw new Error(`--${k} must be an integer >= 1`);
  if (a.batch % a.worldSize !== 0) throw new Error(`--batch ${a.batch} must split into --world-size ${a.worldSize} equal shards`);
  return a;
}

interface RankFigures {
  threads: number;
  /** Median seconds of a `steps`-step epoch. */
  seconds: { sgd: number; pof: number };
  /** Median seconds of one all-reduce of the feature extractor's gradients (world > 1). */
  allReduceSeconds: number | null;
  gradientBytes: number;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One rank (or the single process): timed epochs of SGD and PoF, then the all-reduce alone. */
async function worker(a: Args): Promise<RankFigures> {
  const world = Number(process.env.WORLD_SIZE ?? 1);
  const distributed = world > 1 ? 'env' as const : undefined;
  const trainer = new PoFTrainer({ model: models.parseModelName(a.model, { numClasses: NUM_CLASSES, shape: [1, 3, 32, 32] }), seed: 0, distributed });
  await trainer.ready();
  const data = syntheticImages(a.steps * a.batch, 2);
  const run = async (method: 'sgd' | 'pof') => {
    const r = method === 'sgd'
      ? await trainer.fit(data, { epochs: 1, batchSize: a.batch, lr: 0.01 })
      : await trainer.postTrain(data, { epochs: 1, batchSize: a.batch });
    return r.history[0].seconds;
  };
  await run('sgd');
  await run('pof');  // warm-up: the data resident, the allocator's caches filled
  const times = { sgd: [] as number[], pof: [] as number[] };
  for (let r = 0; r < a.rounds; r += 1) {
    times.sgd.push(await run('sgd'));
    times.pof.push(await run('pof'));
  }
  const parameters = trainer.model.featureParameterCount;
  const gradientBytes = 4 * parameters;
  let allReduceSeconds: number | null = null;
  if (world > 1) {
    // A group of its own on the next port, with the gradients' bytes (float64 values, half as many).
    const group = await native.connectProcessGroup({ rank: Number(process.env.RANK), worldSize: world, masterAddr: '127.0.0.1',
      masterPort: Number(process.env.MASTER_PORT) + 1, backend: 'gloo', timeoutMs: 60_000, agentStore: false, restartCount: 0 });
    const buffer = new Float64Array(Math.ceil(parameters / 2));
    const samples: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      await group.barrier();
      const t0 = process.hrtime.bigint();
      await group.allReduce(buffer);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    allReduceSeconds = median(samples.slice(2));
  }
  return { threads: native.numThreads(), seconds: { sgd: median(times.sgd), pof: median(times.pof) }, allReduceSeconds, gradientBytes };
}

/** Runs a job of `world` ranks (world 1: one process without a job) and returns rank 0's figures. */
async function job(a: Args, world: number, port: number): Promise<RankFigures> {
  const threads = Math.max(1, Math.floor(os.cpus().length / world));
  const children = Array.from({ length: world }, (_, rank) => spawn(process.execPath, [__filename, '--worker', JSON.stringify(a)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: String(threads), GLOO_SOCKET_IFNAME: 'lo',
      ...(world > 1 ? { RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) } : {}) },
  }));
  const outputs = await Promise.all(children.map((c) => new Promise<string>((resolve, reject) => {
    let out = '';
    c.stdout!.on('data', (d) => { out += d; });
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`rank exited with ${code}`))));
  })));
  return JSON.parse(outputs[0]) as RankFigures;
}

/**
 * The paper's setting (16 A100s, WRN-28-10, global batch 256): gradient bytes and ring all-reduce traffic per
 * step are exact; the bandwidth and the per-rank step time are assumptions, printed with the result.
 */
function paperEstimate(pofOverSgd: number) {
  const ranks = 16;
  const parameters = new PoFTrainer({ model: models.wideResNet({ depth: 28, widen: 10, numClasses: 10 }) }).model.featureParameterCount;
  const bytes = 4 * parameters;
  const traffic = (2 * (ranks - 1) / ranks) * bytes;  // what each rank sends (and receives) in a ring all-reduce
  const assumed = { interNodeBytesPerSecond: 25e9, sgdStepSeconds: 0.030 };  // HDR InfiniBand 200 Gb/s; 16 images of WRN-28-10 on an A100
  const comm = traffic / assumed.interNodeBytesPerSecond;
  const ratio = (pofOverSgd * assumed.sgdStepSeconds + comm) / (assumed.sgdStepSeconds + comm);
  return { ranks, parameters, gradientMB: bytes / 1e6, ringTrafficMBPerRank: traffic / 1e6, assumed, allReduceSeconds: comm,
    expectedPofOverSgd: ratio };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    process.stdout.write(JSON.stringify(await worker(JSON.parse(argv[1]) as Args)));
    return;
  }
  const a = parseArgs(argv);
  if (!native.versions().distributed.gloo) throw new Error('this build has no data parallelism (pof info: distributed)');
  const port = 23000 + Math.floor(Math.random() * 20000);
  console.log(`${a.model}, global batch ${a.batch}, ${a.steps} steps × ${a.rounds} rounds, ${os.cpus().length} cores`);
  const one = await job(a, 1, port);
  const many = await job(a, a.worldSize, port + 2);
  const rate = (f: RankFigures, m: 'sgd' | 'pof') => (a.steps * a.batch) / f.seconds[m];
  const stepSeconds = many.seconds.sgd / a.steps;
  const share = many.allReduceSeconds! / stepSeconds;
  console.log('world  threads/rank   SGD images/s   PoF images/s   PoF / SGD time');
  for (const [w, f] of [[1, one], [a.worldSize, many]] as const) {
    console.log(`${String(w).padStart(5)} ${String(f.threads).padStart(14)} ${rate(f, 'sgd').toFixed(1).padStart(14)} ` +
      `${rate(f, 'pof').toFixed(1).padStart(14)} ${(f.seconds.pof / f.seconds.sgd).toFixed(3).padStart(16)}`);
  }
  console.log(`all-reduce of the gradients (${(many.gradientBytes / 1e6).toFixed(1)} MB) on ${a.worldSize} ranks: ` +
    `${(1000 * many.allReduceSeconds!).toFixed(1)} ms, ${(100 * share).toFixed(1)} % of an SGD step (${(1000 * stepSeconds).toFixed(0)} ms)`);
  const paper = paperEstimate(one.seconds.pof / one.seconds.sgd);
  console.log(`paper's setting (estimate): WRN-28-10 on ${paper.ranks} ranks sends ${paper.ringTrafficMBPerRank.toFixed(0)} MB per rank ` +
    `per step (${paper.gradientMB.toFixed(0)} MB of gradients, ring all-reduce): ${(1000 * paper.allReduceSeconds).toFixed(1)} ms at an ` +
    `assumed ${paper.assumed.interNodeBytesPerSecond / 1e9} GB/s between nodes; with an assumed SGD step of ` +
    `${1000 * paper.assumed.sgdStepSeconds} ms per rank and PoF / SGD = ${(one.seconds.pof / one.seconds.sgd).toFixed(2)} (measured here, ` +
    `one process), PoF / SGD in the job ≈ ${paper.expectedPofOverSgd.toFixed(2)}: PoF communicates what SGD does (the line search ` +
    'adds the classifier gradient, tens of kB), so communication dilutes its extra compute');
  const out = { ...a, cores: os.cpus().length, single: one, job: many, communicationShare: share, paper };
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
