// `node dist/bench/exported.js`: one SGD and one PoF step of a torch.export program run by this runtime
// (models.exported), against eager PyTorch on the same network (bench/exported_reference.py, a long-lived python3
// answering timing requests) and against the TorchScript route (models.torchScript), interleaved round by round
// in rotating order, at each thread count. Same data (one fixed batch B~ and PoF's B), batch size, thread count and
// step definition (trainer.step: a fresh Nesterov SGD optimizer per step; eager_steps.py's sgd_step and pof_step).
// Prints a table; --json writes the figures.
import { ChildProcessByStdio, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import type { Readable, Writable } from 'stream';
import { parseArgs as parseCli } from 'util';
import { datasets, models, PoFTrainer } from '../lib';
import type { ImageSet } from '../lib';
import { native } from '../lib/addon';
import { integer, integerList, OptionError } from '../lib/options';
import { profileIterations } from './profile';

const RUNTIMES = ['ours', 'eager', 'torchScript'] as const;
type Runtime = (typeof RUNTIMES)[number];
const METHODS = ['sgd', 'pof'] as const;
type Method = (typeof METHODS)[number];
const LR: Record<Method, number> = { sgd: 0.01, pof: 3e-5 };  // bench/exported_reference.py's LR

const USAGE = `node dist/bench/exported.js [options]
  --threads 1,2     intra-op thread counts, each run in its own process on both sides (default 1,2)
  --rounds N        interleaved rounds; figures are medians over them (default 5)
  --batch B         examples per step; PoF's B has as many (default 32)
  --warmup N        untimed steps per runtime and method first (default 2)
  --min-ms T        each round times enough steps for about T ms of eager PyTorch (default 300)
  --python EXE      python3 with torch 2.13 (default python3)
  --no-profile      skip the op profile of this runtime's and TorchScript's SGD steps (time in LibTorch ops vs outside)
  --json FILE       write the figures as JSON`;

interface Options {
  threads: number[]; rounds: number; batch: number; warmup: number; minMs: number; python: string; profile: boolean; json: string | null;
}

/** A network as bench/exported_reference.py prepared it. */
interface Network {
  pt2: string; torchScript: string; classifier: string; inputShape: number[]; numClasses: number; parameters: number;
  trainNodes: number; examples: number;
  inputs: string; labels: string;
}

/** One network and method: how to time k steps of each runtime. */
interface Run { name: string; method: Method; time: Record<Runtime, (steps: number) => Promise<number>> }

/** Per network and method: milliseconds per step of each runtime, one entry per round. */
type Timings = Record<string, Record<Method, Record<Runtime, number[]> & { stepsPerRound: number }>>;

function options(argv: string[]): Options & { worker: string | null } {
  const where = 'bench/exported';
  let values;
  try {
    values = parseCli({
      args: argv, strict: true, options: {
        threads: { type: 'string', default: '1,2' }, rounds: { type: 'string', default: '5' }, batch: { type: 'string', default: '32' },
        warmup: { type: 'string', default: '2' }, 'min-ms': { type: 'string', default: '300' }, python: { type: 'string', default: 'python3' },
        'no-profile': { type: 'boolean' }, json: { type: 'string' }, help: { type: 'boolean' },
        worker: { type: 'string' },  // internal: DIR/N, the process that times thread count N on DIR's networks

      },
    }).values;
  } catch (e) {
    throw new OptionError(`${where}: ${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (key: 'rounds' | 'batch' | 'warmup' | 'min-ms', min: number) => integer(where, `--${key}`, Number(values[key]), min);
  return {
    threads: integerList(where, '--threads', values.threads!.split(',').map(Number), 1),
    rounds: int('rounds', 1), batch: int('batch', 1), warmup: int('warmup', 1), minMs: int('min-ms', 1),
    python: values.python!, profile: !values['no-profile'], json: values.json ?? null, worker: values.worker ?? null,
  };
}

/** bench/exported_reference.py's answers, one JSON line per request. */
class EagerServer {
  private readonly lines: AsyncIterator<string>;

  constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(o: Options, dir: string, threads: number): Promise<EagerServer> {
    const child = spawn(o.python, [referenceScript(), 'serve', dir, '--threads', String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const server = new EagerServer(child);
    const ready = await server.next();
    if (ready.threads !== threads) throw new Error(`the eager reference runs ${ready.threads} threads, not ${threads}`);
    return server;
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`the eager reference ended (exit ${this.child.exitCode})`);
    const answer = JSON.parse(value) as Record<string, unknown>;
    if (answer.error) throw new Error(`the eager reference: ${answer.error}`);
    return answer;
  }

  /** Seconds for `steps` eager steps. */
  async time(network: string, method: Method, steps: number): Promise<number> {
    this.child.stdin.write(`${network} ${method} ${steps}\n`);
    return (await this.next()).seconds as number;
  }

  close(): void {
    this.child.stdin.end('quit\n');
  }
}

const referenceScript = () => path.resolve(__dirname, '..', '..', 'bench', 'exported_reference.py');
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);

function dataOf(name: string, n: Network): ImageSet {
  const raw = fs.readFileSync(n.inputs), labels = fs.readFileSync(n.labels);
  return datasets.fromArrays({
    images: new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4),
    labels: new Int32Array(labels.buffer, labels.byteOffset, labels.byteLength / 4),
    shape: [n.examples, ...n.inputShape], numClasses: n.numClasses, name,
  });
}

/** One process at one thread count: every network, method and runtime, `rounds` interleaved rounds. */
async function worker(o: Options, dir: string, threads: number) {
  native.numThreads(threads);  // before any step: LibTorch's worker threads take the count on their first parallel op
  const networks = JSON.parse(fs.readFileSync(path.join(dir, 'networks.json'), 'utf8')) as Record<string, Network>;
  const eager = await EagerServer.start(o, dir, threads);
  const timings: Timings = {};
  const runs: Run[] = [];
  for (const [name, n] of Object.entries(networks)) {
    const data = dataOf(name, n);
    const ours = new PoFTrainer({ model: models.exported({ file: n.pt2, classifier: n.classifier }), device: 'cpu', seed: 0 });
    const scripted = new PoFTrainer({ model: models.torchScript({ file: n.torchScript, inputShape: n.inputShape }), device: 'cpu', seed: 0 });
    const half = n.examples / 2;
    timings[name] = {} as Timings[string];
    for (const method of METHODS) {
      const step = { method, indices: range(0, half), lr: LR[method], ...(method === 'pof' ? { weakIndices: range(half, half) } : {}) };
      const timed = (trainer: PoFTrainer) => async (steps: number) => {
        const started = process.hrtime.bigint();
        for (let i = 0; i < steps; i += 1) await trainer.step(data, step);
        return Number(process.hrtime.bigint() - started) / 1e9;
      };
      runs.push({ name, method, time: { ours: timed(ours), eager: (steps) => eager.time(name, method, steps), torchScript: timed(scripted) } });
    }
  }
  // Warm-up, and as many steps per round as take about min-ms in eager PyTorch.
  const steps = new Map<Run, number>();
  for (const run of runs) {
    for (const r of RUNTIMES) await run.time[r](o.warmup);
    const ms = (await run.time.eager(1)) * 1000;
    steps.set(run, Math.max(1, Math.ceil(o.minMs / ms)));
    timings[run.name][run.method] = { stepsPerRound: steps.get(run)!, ours: [], eager: [], torchScript: [] };
  }
  for (let round = 0; round < o.rounds; round += 1) {
    const order = RUNTIMES.map((_, i) => RUNTIMES[(i + round) % RUNTIMES.length]);  // a rotating order: no runtime always goes first
    for (const run of runs) {
      const k = steps.get(run)!;
      for (const r of order) timings[run.name][run.method][r].push(((await run.time[r](k)) * 1000) / k);
    }
    console.error(`${threads} thread(s), round ${round + 1}/${o.rounds}: ` + runs.map((run) => `${run.name} ${run.method} ` +
      RUNTIMES.map((r) => `${r} ${timings[run.name][run.method][r][round].toFixed(1)}`).join(' / ') + ' ms').join(', '));
  }
  eager.close();
  return { threads, torch: native.versions().libtorch, timings, profile: o.profile ? await profileSgd(runs, steps) : null };
}

/**
 * Where the native routes' SGD step spends its time: LibTorch ops' self time (RecordFunction) against the wall time;
 * the rest is outside any op — the interpreter's or TorchScript's dispatch between nodes, autograd's engine, the step's glue.
 */
async function profileSgd(runs: Run[], steps: Map<Run, number>) {
  const out: Record<string, Partial<Record<Runtime, { msPerStep: number; inOpsMs: number; outsideOpsMs: number; opCalls: number }>>> = {};
  for (const run of runs.filter((r) => r.method === 'sgd')) {
    out[run.name] = {};
    for (const r of ['ours', 'torchScript'] as const) {
      const k = Math.max(steps.get(run)!, 3);
      const p = await profileIterations(() => run.time[r](k), k);
      const inOps = p.ops.reduce((a, op) => a + op.selfMsPerIteration, 0);
      out[run.name][r] = { msPerStep: p.msPerIteration, inOpsMs: inOps, outsideOpsMs: p.msPerIteration - inOps, opCalls: p.ops.reduce((a, op) => a + op.calls, 0) };
    }
  }
  return out;
}

/** Median and range of the per-round ratios a/b. */
function ratio(a: number[], b: number[]) {
  const r = a.map((x, i) => x / b[i]);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

function summarise(timings: Timings) {
  return Object.fromEntries(Object.entries(timings).map(([name, byMethod]) => [name, Object.fromEntries(METHODS.map((m) => {
    const t = byMethod[m];
    return [m, {
      msPerStep: Object.fromEntries(RUNTIMES.map((r) => [r, median(t[r])])),
      oursOverEager: ratio(t.ours, t.eager), oursOverTorchScript: ratio(t.ours, t.torchScript), stepsPerRound: t.stepsPerRound,
    }];
  }))]));
}

function table(results: { threads: number; summary: ReturnType<typeof summarise> }[]): string {
  const f = (r: { median: number; min: number; max: number }) => `${r.median.toFixed(3)} (${r.min.toFixed(3)}–${r.max.toFixed(3)})`;
  const lines = ['network   method threads  ours ms  eager ms     TS ms   ours/eager (range)     ours/TorchScript (range)'];
  for (const { threads, summary } of results) {
    for (const [name, byMethod] of Object.entries(summary)) {
      for (const m of METHODS) {
        const s = byMethod[m];
        lines.push(`${name.padEnd(9)} ${m.padEnd(6)} ${String(threads).padStart(7)} ${s.msPerStep.ours.toFixed(1).padStart(8)} ` +
          `${s.msPerStep.eager.toFixed(1).padStart(9)} ${s.msPerStep.torchScript.toFixed(1).padStart(9)}   ${f(s.oursOverEager).padEnd(22)} ${f(s.oursOverTorchScript)}`);
      }
    }
  }
  return lines.join('\n');
}

function profileTable(results: Awaited<ReturnType<typeof worker>>[]): string {
  const lines = ['network   threads runtime       wall  in ops  outside  op calls'];
  for (const { threads, profile } of results) {
    for (const [name, byRuntime] of Object.entries(profile ?? {})) {
      for (const [r, p] of Object.entries(byRuntime)) {
        lines.push(`${name.padEnd(9)} ${String(threads).padStart(7)} ${r.padEnd(11)} ${p.msPerStep.toFixed(2).padStart(7)} ` +
          `${p.inOpsMs.toFixed(2).padStart(7)} ${p.outsideOpsMs.toFixed(2).padStart(8)} ${p.opCalls.toFixed(0).padStart(9)}`);
      }
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  if (o.worker) {
    const [dir, threads] = [path.dirname(o.worker), Number(path.basename(o.worker))];
    console.log(JSON.stringify(await worker(o, dir, threads)));
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-bench-exported-'));
  try {
    console.log(`exporting the networks (torch.export and TorchScript) into ${dir}...`);
    const prepared = spawnSync(o.python, [referenceScript(), 'prepare', dir, '--batch', String(o.batch)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (prepared.status !== 0) throw new Error(`${o.python} bench/exported_reference.py prepare failed (exit ${prepared.status})`);
    const networks = JSON.parse(prepared.stdout.trim().split('\n').pop()!) as Record<string, Network>;
    fs.writeFileSync(path.join(dir, 'networks.json'), JSON.stringify(networks));
    const results = [];
    for (const threads of o.threads) {
      // Each thread count in its own process: LibTorch's worker threads keep the count of their first parallel op.
      const args = [__filename, '--worker', path.join(dir, String(threads)), '--rounds', String(o.rounds), '--warmup', String(o.warmup),
        '--min-ms', String(o.minMs), '--python', o.python, ...(o.profile ? [] : ['--no-profile'])];
      const run = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
      if (run.status !== 0) throw new Error(`the ${threads}-thread run failed (exit ${run.status})`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as Awaited<ReturnType<typeof worker>>;
      results.push({ ...result, summary: summarise(result.timings) });
    }
    const described = Object.fromEntries(Object.entries(networks).map(([name, n]) =>
      [name, { inputShape: n.inputShape, parameters: n.parameters, trainNodes: n.trainNodes, classifier: n.classifier }]));
    console.log(`\nbatch ${o.batch}, ${o.rounds} rounds (medians; ranges over rounds); ms per step\n${table(results)}`);
    if (o.profile) console.log(`\nSGD step, op profile (ms per step): wall = in LibTorch ops + outside them\n${profileTable(results)}`);
    if (o.json) {
      const out = { batch: o.batch, rounds: o.rounds, warmup: o.warmup, minMs: o.minMs, lr: LR, networks: described, results, load: os.loadavg() };
      fs.writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`\nwrote ${o.json}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
