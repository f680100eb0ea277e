// Data parallelism on c10d (Gloo): jobs of 2 processes on 127.0.0.1 against the single-process run.
import test, { ExecutionContext } from 'ava';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { models, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import type { Scenario } from './helpers/distributed-worker';
import { writeStore } from './helpers/store-writer';
import { tinyImages } from './helpers/synthetic';

const WORKER = path.join(__dirname, 'helpers', 'distributed-worker.js');
const CLI = path.join(__dirname, '..', 'lib', 'cli.js');
const built = native.versions().distributed.gloo;
const distributedTest = built ? test.serial : test.skip;
if (!built) console.log('# skipped: this build has no data parallelism (no Gloo headers when it was built)');

interface RankResult {
  rank: number;
  history: { phase: string; epoch: number; loss: number; error: number; xi?: number; rejectRate?: number; eval?: { loss: number } }[];
  evaluation: { loss: number; error: number; examples: number };
  weights: Record<string, number[]>;
  checkpoints: string[];
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

// Ports drawn per job: tests run serially, and a port still in TIME_WAIT is never reused.
let nextPort = 20000 + Math.floor(Math.random() * 20000);

function finished(child: ChildProcess): Promise<Finished> {
  const started = Date.now();
  let stdout = '', stderr = '';
  child.stdout?.on('data', (c) => { stdout += c; });
  child.stderr?.on('data', (c) => { stderr += c; });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000 })));
}

function rankEnv(rank: number, world: number, port: number): NodeJS.ProcessEnv {
  return { ...process.env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port), GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1' };
}

/** The ranks of one job, started together; `world` 0 means one process without a job (the reference). */
function startJob(scenario: Scenario, world: number): { children: ChildProcess[]; done: Promise<Finished[]> } {
  const port = nextPort++;
  const env = (rank: number) => world === 0
    ? { ...process.env, RANK: undefined, WORLD_SIZE: undefined, OMP_NUM_THREADS: '1' } : rankEnv(rank, world, port);
  const children = Array.from({ length: Math.max(world, 1) }, (_, rank) =>
    spawn(process.execPath, [WORKER, JSON.stringify(scenario)], { env: env(rank), stdio: ['ignore', 'pipe', 'pipe'] }));
  return { children, done: Promise.all(children.map(finished)) };
}

async function run(t: ExecutionContext, scenario: Scenario, world: number): Promise<RankResult[]> {
  const results = await startJob(scenario, world).done;
  for (const r of results) t.is(r.code, 0, r.stderr);
  return results.map((r) => JSON.parse(r.stdout) as RankResult);
}

/** The largest |a - b| / (|b| + 1e-3) over every weight. */
function largestDifference(a: RankResult, b: RankResult): number {
  let worst = 0;
  for (const [name, values] of Object.entries(b.weights)) {
    const other = a.weights[name];
    for (let i = 0; i < values.length; i += 1) worst = Math.max(worst, Math.abs(other[i] - values[i]) / (Math.abs(values[i]) + 1e-3));
  }
  return worst;
}

const MLP: Scenario = { model: 'mlp', fit: { method: 'sgd', epochs: 3 }, batchSize: 32, examples: 256, seed: 5 };

distributedTest('SGD and PoF on 2 ranks equal one process on the global batch; every rank ends with the same weights and figures', async (t) => {
  const scenario: Scenario = { ...MLP, pof: { epochs: 2, weakBatchSize: 64 } };
  const [single] = await run(t, scenario, 0);
  const ranks = await run(t, scenario, 2);
  t.deepEqual(ranks[0].weights, ranks[1].weights, 'both ranks hold identical weights');
  t.deepEqual(ranks[0].history, ranks[1].history, 'both ranks report the same epochs (xi*, reject rate, losses)');
  t.deepEqual(ranks[0].evaluation, ranks[1].evaluation);
  const difference = largestDifference(ranks[0], single);
  t.log(`largest relative weight difference, world 2 vs one process: ${difference.toExponential(2)}`);
  t.true(difference < 1e-5, `${difference}`);
  for (let e = 0; e < single.history.length; e += 1) {
    const [a, b] = [ranks[0].history[e], single.history[e]];
    t.true(Math.abs(a.loss - b.loss) < 1e-5, `epoch ${e}: loss ${a.loss} vs ${b.loss}`);
    if (b.xi !== undefined) t.true(Math.abs(a.xi! - b.xi) <= 1e-5 * Math.max(1, b.xi), `epoch ${e}: xi* ${a.xi} vs ${b.xi}`);
    t.is(a.rejectRate, b.rejectRate);
  }
  t.is(ranks[0].evaluation.examples, 256);
  t.true(Math.abs(ranks[0].evaluation.loss - single.evaluation.loss) < 1e-5);
});

distributedTest('2 ranks reading a prepared store train bit-identically to 2 ranks holding the same images in memory', async (t) => {
  const scenario: Scenario = { model: 'wrn', fit: { method: 'sgd', epochs: 1 }, pof: { epochs: 1 }, batchSize: 16, examples: 64, seed: 3 };
  const store = writeStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'pof-ddp-store-')), 'store'), tinyImages(64, 11));
  const resident = await run(t, scenario, 2);
  const stored = await run(t, { ...scenario, store }, 2);
  t.deepEqual(stored[0].weights, resident[0].weights);
  t.deepEqual(stored[1].weights, resident[1].weights);
  t.deepEqual(stored[0].history, resident[0].history);
});

const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
(hasTorch ? distributedTest : test.skip)('an exported network (torch.export) on 2 ranks equals one process: SGD and PoF', async (t) => {
  const exportedFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pof-ddp-exported-')), 'mlp.pt2');
  const made = spawnSync('python3', [path.join(__dirname, '..', '..', 'python', 'export_program.py'), '--model',
    'nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))', '--input-shape', '6',
    '--classifier', '4', '--seed', '0', '--out', exportedFile], { encoding: 'utf8' });
  t.is(made.status, 0, made.stderr);
  const scenario: Scenario = { ...MLP, model: 'exported', exportedFile, fit: { method: 'sgd', epochs: 2 }, pof: { epochs: 1, weakBatchSize: 64 } };
  const [single] = await run(t, scenario, 0);
  const ranks = await run(t, scenario, 2);
  t.deepEqual(ranks[0].weights, ranks[1].weights, 'both ranks hold identical weights');
  t.deepEqual(Object.keys(single.weights).sort(), ['0.bias', '0.weight', '2.bias', '2.weight', '4.bias', '4.weight']);
  const difference = largestDifference(ranks[0], single);
  t.log(`largest relative weight difference, exported MLP world 2 vs one process: ${difference.toExponential(2)}`);
  t.true(difference < 1e-5, `${difference}`);
});

distributedTest('SAM: the global ascent equals one process; samScope local ascends per rank, and the ranks still agree', async (t) => {
  const scenario: Scenario = { ...MLP, fit: { method: 'sam', epochs: 2 } };
  const [single] = await run(t, scenario, 0);
  const global = await run(t, scenario, 2);
  const difference = largestDifference(global[0], single);
  t.log(`largest relative weight difference, SAM world 2 vs one process: ${difference.toExponential(2)}`);
  t.true(difference < 1e-5, `${difference}`);
  const local = await run(t, { ...scenario, fit: { method: 'sam', epochs: 2, samScope: 'local' } }, 2);
  t.deepEqual(local[0].weights, local[1].weights);
  t.true(largestDifference(local[0], single) > 1e-4, 'per-rank ascents are another method');
});

distributedTest('a WRN with BatchNorm and augmentation: identical weights and BN statistics on both ranks, and it learns', async (t) => {
  const scenario: Scenario = { model: 'wrn', fit: { method: 'sgd', epochs: 3 }, pof: { epochs: 1 }, batchSize: 32, examples: 128, seed: 2 };
  const ranks = await run(t, scenario, 2);
  const [single] = await run(t, scenario, 0);
  t.deepEqual(ranks[0].weights, ranks[1].weights, 'parameters and running statistics identical across ranks');
  t.truthy(ranks[0].weights['bn_out.running_var']);
  const first = ranks[0].history[0], last = ranks[0].history[2];
  t.log(`training loss ${first.loss.toFixed(3)} -> ${last.loss.toFixed(3)} (one process: ${single.history[2].loss.toFixed(3)}), ` +
    `error ${ranks[0].evaluation.error.toFixed(1)} % (one process: ${single.evaluation.error.toFixed(1)} %)`);
  t.true(last.loss < first.loss);
  // BN normalises per shard of 16, not per batch of 32: the same band, not the same numbers.
  t.true(Math.abs(last.loss - single.history[2].loss) < 0.25);
});

distributedTest('a checkpoint of 2 ranks resumes on 1, and one of 1 on 2, where the uninterrupted run ends', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pof-dist-'));
  const two = path.join(dir, 'two'), one = path.join(dir, 'one');
  const ranks = await run(t, { ...MLP, checkpointDir: two }, 2);
  t.deepEqual(ranks[0].checkpoints, ranks[1].checkpoints, 'every rank knows the files rank 0 wrote');
  t.deepEqual(ranks[0].checkpoints, [1, 2, 3].map((e) => path.join(two, `fit-epoch-${e}.safetensors`)));
  t.true(ranks[0].checkpoints.every((f) => existsSync(f)));
  const [resumedOnOne] = await run(t, { ...MLP, resume: ranks[0].checkpoints[0] }, 0);
  t.true(largestDifference(resumedOnOne, ranks[0]) < 1e-5);
  const [single] = await run(t, { ...MLP, checkpointDir: one }, 0);
  const resumedOnTwo = await run(t, { ...MLP, resume: single.checkpoints[0] }, 2);
  t.true(largestDifference(resumedOnTwo[1], single) < 1e-5);
  t.deepEqual(resumedOnTwo[0].weights, resumedOnTwo[1].weights);
});

distributedTest('a rank that dies or hangs mid-epoch makes the other fail with a DistributedError within the timeout', async (t) => {
  const scenario: Scenario = { ...MLP, batchSize: 2, examples: 4096, fit: { method: 'sgd', epochs: 1 }, reportSteps: true, timeoutMs: 4000 };
  for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
    const job = startJob(scenario, 2);
    let sent = false, stderr = '';
    job.children[1].stderr!.on('data', (c) => {
      stderr += c;
      if (!sent && /rank 1 step 20\n/.test(stderr)) {
        sent = true;
        job.children[1].kill(signal);
      }
    });
    const survivor = await finished(job.children[0]);
    if (signal === 'SIGSTOP') job.children[1].kill('SIGKILL');
    await job.done;
    t.true(sent, 'rank 1 ran steps');
    t.is(survivor.code, 1);
    const error = JSON.parse(survivor.stderr.trim().split('\n').pop()!);
    t.is(error.code, 'ERR_POF_DISTRIBUTED', survivor.stderr);
    t.regex(error.message, /^distributed: rank 0 of 2 failed in an? [a-z-]+: it lost rank 1: it stopped, failed, or did not answer within the timeout \(4 s, store 127\.0\.0\.1:\d+\)\. The job cannot go on: .*resuming from the last checkpoint.* gloo said: \S/);
    t.log(`${signal}: rank 0 failed after ${survivor.seconds.toFixed(1)} s: ${error.message}`);
  }
});

distributedTest('a job whose ranks disagree, a batch that does not split, and a missing torchrun variable are clear errors', async (t) => {
  const disagree = await startJob({ ...MLP, examplesOnRank1: 192 }, 2).done;
  for (const r of disagree) {
    t.is(r.code, 1);
    t.regex(r.stderr, /the ranks of the job disagree on the training data's size: from 192 to 256/);
  }
  const odd = await startJob({ ...MLP, batchSize: 33 }, 2).done;
  for (const r of odd) t.regex(r.stderr, /ERR_POF_OPTION.*batchSize \(33\) is the global batch of the job: it must split into 2 equal shards/);
  const saved = { ...process.env };
  try {
    delete process.env.MASTER_PORT;
    Object.assign(process.env, { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1' });
    const error = t.throws(() => new PoFTrainer({ model: models.mlp({ inputDim: 2, hidden: [4], numClasses: 2 }), distributed: 'env' }));
    t.is(error?.name, 'OptionError');
    t.regex(error!.message, /MASTER_PORT must be an integer >= 1, got nothing \(it is not set\).*torchrun --nproc-per-node=N --no-python pof/);
  } finally {
    process.env = saved;
  }
});

const torchrun = spawnSync('python3', ['-c', 'import torch.distributed.run'], { stdio: 'ignore' }).status === 0;
(built && torchrun ? test.serial : test.skip)('pof train and eval under torchrun: one job of 2 ranks, one run directory, one result', async (t) => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'pof-torchrun-')), 'run');
  const launch = (args: string[]) => finished(spawn('python3', ['-m', 'torch.distributed.run', '--nproc-per-node=2', '--standalone',
    '--no-python', process.execPath, CLI, ...args], { env: { ...process.env, GLOO_SOCKET_IFNAME: 'lo' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const trained = await launch(['train', '--dataset', 'toy', '--epochs', '2', '--batch-size', '64', '--checkpoint-every', '1', '--out', out]);
  t.is(trained.code, 0, trained.stderr);
  t.is(trained.stdout.trim().split('\n').filter((l) => l.startsWith('{')).length, 1, trained.stdout);
  t.is(trained.stderr.match(/train: fit epoch 2\/2/g)?.length, 1, trained.stderr);
  const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
  t.is(config.worldSize, 2);
  t.is(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
  const evaluated = await launch(['eval', '--from', path.join(out, 'model.safetensors'), '--dataset', 'toy']);
  t.is(evaluated.code, 0, evaluated.stderr);
  t.deepEqual(JSON.parse(evaluated.stdout), JSON.parse(trained.stdout.trim().split('\n').pop()!));
  const refused = await launch(['analyze', '--from', path.join(out, 'model.safetensors'), '--dataset', 'toy', '--out', `${out}-analysis`]);
  t.not(refused.code, 0);
  t.regex(refused.stderr, /rank \d: pof: pof analyze runs in one process/);
});

distributedTest('a process group of one rank: collectives return its own values; bad arguments are typed errors', async (t) => {
  const group = await native.connectProcessGroup({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: nextPort++,
    backend: 'gloo', timeoutMs: 5000, agentStore: false, restartCount: 0 });
  t.is(group.rank, 0);
  t.is(group.worldSize, 1);
  t.is(group.backend, 'gloo');
  t.deepEqual(Array.from(await group.allReduce(Float64Array.of(1.5, -2), 'max')), [1.5, -2]);
  t.deepEqual(Array.from(await group.broadcast(Float64Array.of(3), 0)), [3]);
  await group.barrier();
  t.throws(() => group.allReduce(new Float32Array(2) as never), { code: 'ERR_POF_OPTION', message: /must be a Float64Array/ });
  t.throws(() => group.broadcast(Float64Array.of(1), 1), { code: 'ERR_POF_OPTION', message: /root must be a rank in 0..0/ });
  t.throws(() => group.allReduce(Float64Array.of(1), 'mean' as never), { code: 'ERR_POF_OPTION' });
  t.throws(() => native.connectProcessGroup({ rank: 2, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1, backend: 'gloo',
    timeoutMs: 5000, agentStore: false, restartCount: 0 }), { code: 'ERR_POF_OPTION', message: /rank must be in 0..1/ });
  t.throws(() => new PoFTrainer({ model: models.mlp({ inputDim: 2, hidden: [4], numClasses: 2 }), distributed: { rank: 0, worldSize: 1,
    backend: 'nccl' } }), { code: 'ERR_POF_OPTION', message: /nccl/ });
});
