// Fifty PoF steps against an independent PyTorch loop of the same fifty (test/fixtures/python/many_steps.py), on an
// MLP and a BatchNorm WideResNet: every state-dict tensor (weights and BatchNorm statistics), every SGD momentum
// buffer and each step's ξ* agree to 1e-5 relative, and the classifier θ0 is untouched. One step is checked in
// exported.test.ts; this checks that nothing drifts or is lost between steps.
// PoFTrainer.step configures a fresh optimizer on every call (no momentum carries from one call to the next), so
// the given (B̃, B) sequence runs through the two native calls step() makes with the optimizer configured once,
// as postTrain's epoch loop does. Besides: step() against a fresh optimizer per step; postTrain (momentum carried)
// on full batches, where B̃ and B are all examples whatever it draws; and each step of the two carried runs alone,
// from pof-torch's own weights, buffers and momentum before it, so that a mismatch shows at the step it arises.
// Needs python3 with torch (skipped otherwise).
import test from 'ava';
import { execFile, spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { datasets, ModelSpec, models, PoFTrainer, StateDict } from '../lib';
import { loadSafetensors, saveSafetensors } from '../lib/checkpoint/safetensors';
import type { TensorData } from '../lib/checkpoint/tensor-data';
import type { NativeStateEntry } from '../lib/native';
import type { TrainerCore } from '../lib/trainer/core';
import { resolveStep } from '../lib/trainer/phase-options';
import { tempDir } from './helpers/fixtures';
import { rng } from './helpers/synthetic';
import { worstRelative } from './helpers/state-compare';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'test', 'fixtures', 'python', 'many_steps.py');
const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const maybe = hasTorch ? test : test.skip;
if (!hasTorch) console.warn('pof-many-steps.test: python3 has no torch; the comparisons with PyTorch are skipped');

const STEPS = 50, N = 64, BATCH = 16, CLASSES = 4, TOLERANCE = 1e-5;
const BASE = { momentum: 0.9, weightDecay: 5e-4, nesterov: true, gamma: 2 };

// Learning rates at which every trained parameter moves by over 100 times the tolerance in 50 steps, so that a wrong
// step shows. A ReLU network's trajectory is only as reproducible as its pre-activations are far from 0: when one
// lies within rounding of it, any two float32 implementations part by ~1e-3 from that step on (PyTorch's own float32
// and float64 loops too). At higher rates or larger inputs the WideResNet meets one within 50 steps more often.
const NETWORKS: { name: 'mlp' | 'wrn'; lr: number; config: Record<string, unknown>; example: number[]; spec: () => ModelSpec }[] = [
  { name: 'mlp', lr: 0.03, config: { inputDim: 10, hidden: [32, 32], numClasses: CLASSES }, example: [10],
    spec: () => models.mlp({ inputDim: 10, hidden: [32, 32], numClasses: CLASSES }) },
  { name: 'wrn', lr: 0.005, config: { depth: 10, widen: 1, numClasses: CLASSES, inputChannels: 3 }, example: [3, 4, 4],
    spec: () => models.wideResNet({ depth: 10, widen: 1, numClasses: CLASSES, inputChannels: 3 }) },
];

type Tensors = Record<string, { data: ArrayLike<number | bigint> }>;
interface History { xi: number[]; rejected: boolean[]; loss: number[]; float64Gap: { state: number; momentum: number } }
interface Transitions { state: number[]; stateWhere: string[]; momentum: number[]; momentumWhere: string[]; xi: number[]; rejected: boolean[] }
interface Outcome { state: Tensors; momentum?: Tensors; xi: number[]; rejected: boolean[] }

/** `k` distinct indices of 0..n-1 (a partial Fisher-Yates shuffle). */
function draw(r: () => number, n: number, k: number): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i += 1) {
    const j = i + Math.floor(r() * (n - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

/**
 * Values in [-1, 1) with a class-dependent offset on every fourth coordinate: learnable, so the line search has minima.
 * Examples BATCH/2..BATCH-1 repeat the first BATCH/2 under the next label: the data cannot be fitted, so PoF on all
 * of it (postTrain below) still finds minima along -g instead of a loss that falls all the way.
 */
function examples(shape: number[], seed: number) {
  const r = rng(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  const half = BATCH / 2;
  const source = (i: number) => (i >= half && i < BATCH ? i - half : i);
  const labels = Int32Array.from({ length: N }, (_, i) => (i % CLASSES + (source(i) === i ? 0 : 1)) % CLASSES);
  const images = Float32Array.from({ length: N * per }, (_, k) => r() * 2 - 1 + ((k % per) % CLASSES === labels[Math.floor(k / per)] ? 0.5 : 0));
  for (let i = half; i < BATCH; i += 1) images.copyWithin(i * per, source(i) * per, (source(i) + 1) * per);
  return { images, labels, set: datasets.fromArrays({ kind: 'values', images, labels, shape: [N, ...shape], numClasses: CLASSES, name: `many-${seed}` }) };
}

/** The tensors of a safetensors file whose names start with `prefix` (and end with `suffix`), by the name between. */
async function tensorsOf(file: string, prefix: string, suffix = ''): Promise<Tensors> {
  const { tensors } = await loadSafetensors(file);
  return Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix) && k.endsWith(suffix))
    .map(([k, v]) => [k.slice(prefix.length, k.length - suffix.length), v]));
}

const FILE_DTYPES = { float32: 'F32', int64: 'I64', int32: 'I32', uint8: 'U8' } as const;
const asFile = (e: { dtype: keyof typeof FILE_DTYPES; shape: number[]; data: unknown }) => ({ dtype: FILE_DTYPES[e.dtype], shape: e.shape, data: e.data }) as TensorData;

/** The weights, buffers and momentum buffers as many_steps.py's transitions read them. */
function snapshot(file: string, state: StateDict, momentum: NativeStateEntry[]): Promise<void> {
  return saveSafetensors(file, Object.fromEntries([
    ...Object.entries(state).map(([k, e]) => [`state.${k}`, asFile(e)]),
    ...momentum.map((e) => [`momentum.${e.name}`, asFile(e)]),
  ]));
}

const stepOutcome = (s: { xi: number; rejectRate: number }) => ({ xi: s.xi, rejected: s.rejectRate > 0 });
const largest = (values: number[]) => values.reduce((worst, v, i) => (v > worst.value ? { value: v, at: i } : worst), { value: 0, at: -1 });
/** ξ*'s relative differences, 0 where the reference rejected the step. */
const xiGaps = (mine: number[], theirs: number[], rejected: boolean[]) => theirs.map((xi, i) => (rejected[i] ? 0 : Math.abs(mine[i] - xi) / Math.abs(xi)));

test('many-steps fixtures: the drawn batches hold distinct examples, and B~ differs from B', (t) => {
  const r = rng(3);
  const b = draw(r, N, BATCH), w = draw(r, N, BATCH);
  t.is(new Set(b).size, BATCH);
  t.notDeepEqual(Array.from(b), Array.from(w));
});

for (const network of NETWORKS) {
  maybe(`${network.name}: ${STEPS} PoF steps on a given (B~, B) sequence equal PyTorch's loop (weights, BatchNorm statistics, momentum, xi*)`, async (t) => {
    t.timeout(120_000);
    const OPTIONS = { ...BASE, lr: network.lr };
    const began = Date.now();
    const dir = tempDir(`many-steps-${network.name}`);
    const data = examples(network.example, 11);
    const r = rng(29);
    const sequence = Array.from({ length: STEPS }, () => [draw(r, N, BATCH), draw(r, N, BATCH)] as const);

    // A few SGD epochs first: PoF starts from a trained classifier, not a random one.
    const start = new PoFTrainer({ model: network.spec(), device: 'cpu', seed: 1 });
    await start.fit(data.set, { epochs: 3, batchSize: BATCH, lr: 0.05 });
    const s0 = await start.stateDict();
    const stateFile = path.join(dir, 'start.safetensors');
    await start.save(stateFile);
    const fresh = async () => {
      const trainer = new PoFTrainer({ model: network.spec(), device: 'cpu', seed: 1 });
      await trainer.loadStateDict(s0);
      return trainer;
    };

    // 1. The given sequence with one optimizer throughout: step()'s native calls without its per-call reconfiguration.
    // The weights, buffers and momentum after every step are kept for the step-by-step check.
    const carried = await fresh();
    const core = (carried as unknown as { core: TrainerCore }).core;
    const resident = carried.resident(data.set, 'pof-many-steps');
    const { optimizer, epochOptions } = resolveStep('pof-many-steps', 'pof', { method: 'pof', indices: sequence[0][0], ...OPTIONS }, BATCH, true);
    core.engine.configureOptimizer(optimizer);
    const snapshots = Array.from({ length: STEPS + 1 }, (_, k) => path.join(dir, `after-${k}.safetensors`));
    await snapshot(snapshots[0], s0, core.engine.optimizerState());
    const carriedSteps = [];
    for (const [k, [regular, weak]] of sequence.entries()) {
      carriedSteps.push(stepOutcome(await core.engine.trainStep(resident, regular, weak, epochOptions)));
      await snapshot(snapshots[k + 1], await carried.stateDict(), core.engine.optimizerState());
    }
    const ours: Record<'carried' | 'freshOptimizer' | 'fullBatch', Outcome> = {
      carried: {
        state: await carried.stateDict(), xi: carriedSteps.map((s) => s.xi), rejected: carriedSteps.map((s) => s.rejected),
        momentum: Object.fromEntries(core.engine.optimizerState().map((e) => [e.name, e])),
      },
      freshOptimizer: { state: {}, xi: [], rejected: [] },
      fullBatch: { state: {}, xi: [], rejected: [] },
    };

    // 2. PoFTrainer.step on the same sequence: a fresh optimizer every call.
    const stepper = await fresh();
    for (const [indices, weakIndices] of sequence) {
      const s = stepOutcome(await stepper.step(data.set, { method: 'pof', indices, weakIndices, ...OPTIONS }));
      ours.freshOptimizer.xi.push(s.xi);
      ours.freshOptimizer.rejected.push(s.rejected);
    }
    ours.freshOptimizer.state = await stepper.stateDict();

    // 3. postTrain, momentum carried across its epochs; one full batch per epoch makes B~ = B = every example. Its
    // training checkpoint after every epoch (weights, buffers, momentum) is the state before the next step.
    const phase = await fresh();
    const result = await phase.postTrain(data.set, { epochs: STEPS, batchSize: N, weakBatchSize: N, ...OPTIONS, checkpoint: { dir: path.join(dir, 'phase') } });
    t.is(result.checkpoints.length, STEPS);
    ours.fullBatch = {
      state: await phase.stateDict(), momentum: await tensorsOf(result.checkpoints[STEPS - 1], 'optimizer.', '.momentum_buffer'),
      xi: result.history.map((e) => e.xi ?? NaN), rejected: result.history.map((e) => (e.rejectRate ?? 0) > 0),
    };

    // PyTorch's three loops from the start, and each step from pof-torch's state before it.
    const inputs = path.join(dir, 'inputs.f32'), labels = path.join(dir, 'labels.i32');
    await fs.writeFile(inputs, Buffer.from(data.images.buffer));
    await fs.writeFile(labels, Buffer.from(data.labels.buffer));
    const every = Array.from({ length: N }, (_, i) => i);
    const given = sequence.map(([b, w]) => [Array.from(b), Array.from(w)]);
    const fullBatches = Array.from({ length: STEPS }, () => [every, every]);
    const runs = {
      carried: { steps: given },
      freshOptimizer: { steps: given, freshOptimizer: true },
      fullBatch: { steps: fullBatches },
    };
    const names = Object.keys(runs) as (keyof typeof runs)[];
    const spec = path.join(dir, 'spec.json');
    await fs.writeFile(spec, JSON.stringify({
      network: network.name, config: network.config, state: stateFile, inputs, labels, shape: [N, ...network.example],
      runs: names.map((name) => ({ ...runs[name], ...OPTIONS, float64: true, out: path.join(dir, `${name}.safetensors`) })),
      transitions: [
        { states: snapshots, steps: given, ...OPTIONS },
        { states: [snapshots[0], ...result.checkpoints], steps: fullBatches, ...OPTIONS },
      ],
    }));
    // One thread: the two networks' tests, their Python processes and LibTorch share the machine's cores.
    const python = promisify(execFile)('python3', [script, spec], { maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: '1' } });

    const lines = (await python).stdout.trim().split('\n');
    t.is(lines.length, names.length + 2, 'one line per PyTorch run and per step-by-step check');
    // Every figure first, then the checks: a failure still shows how all the runs compare.
    const compared = await Promise.all(names.map(async (name, k) => {
      const out = path.join(dir, `${name}.safetensors`);
      const theirs = { state: await tensorsOf(out, 'state.'), momentum: await tensorsOf(out, 'momentum.'), ...JSON.parse(lines[k]) as History };
      const mine = ours[name];
      const xi = xiGaps(mine.xi, theirs.xi, theirs.rejected);
      const firstOff = xi.findIndex((gap, i) => gap > TOLERANCE || mine.rejected[i] !== theirs.rejected[i]);
      const accepted = theirs.xi.filter((_, i) => !theirs.rejected[i]);
      return {
        name, mine, theirs, xi: largest(xi).value, accepted: accepted.length,
        state: worstRelative(mine.state, theirs.state), momentum: mine.momentum ? worstRelative(mine.momentum, theirs.momentum) : undefined,
        xiRange: `${Math.min(...accepted).toPrecision(3)} to ${Math.max(...accepted).toPrecision(3)}`,
        // Where a mismatch starts, and how far float32 rounding alone carries PyTorch's own loop: a failure's context.
        context: `${firstOff < 0 ? 'xi* agrees at every step' : `xi* or the rejection first differs at step ${firstOff + 1}`}; `
          + `PyTorch's own float32 and float64 loops differ by ${theirs.float64Gap.state.toExponential(2)} (state), `
          + `${theirs.float64Gap.momentum.toExponential(2)} (momentum)`,
      };
    }));
    for (const c of compared) {
      t.log(`${c.name}: state ${c.state.worst.toExponential(2)} (${c.state.where || 'none'})`
        + (c.momentum ? `, momentum ${c.momentum.worst.toExponential(2)} (${c.momentum.where || 'none'})` : '')
        + `, xi* ${c.xi.toExponential(2)} over ${c.accepted} accepted steps (xi* ${c.xiRange}); ${c.context}`);
    }
    const alone = (['carried', 'fullBatch'] as const).map((name, k) => {
      const steps = JSON.parse(lines[names.length + k]) as Transitions;
      const state = largest(steps.state), momentum = largest(steps.momentum), xi = largest(xiGaps(ours[name].xi, steps.xi, steps.rejected));
      t.log(`${name}, each step from pof-torch's state and momentum before it: state ${state.value.toExponential(2)} (step ${state.at + 1}, `
        + `${steps.stateWhere[state.at]}), momentum ${momentum.value.toExponential(2)} (step ${momentum.at + 1}, `
        + `${steps.momentumWhere[momentum.at]}), xi* ${xi.value.toExponential(2)}`);
      return { name, steps, state, momentum, xi };
    });
    // The test can fail: every trained parameter moved far beyond the tolerance, and dropping the momentum between
    // steps (what step() does) ends far from the loop that carries it.
    const trainedNames = Object.keys(ours.carried.momentum!);
    const moved = Math.min(...trainedNames.map((key) => worstRelative({ [key]: ours.carried.state[key] }, { [key]: s0[key] }).worst));
    const dropped = worstRelative(ours.freshOptimizer.state, ours.carried.state);
    t.log(`every trained parameter moved by at least ${moved.toExponential(2)}; dropping momentum between steps moves the end by `
      + `${dropped.worst.toExponential(2)}; ${((Date.now() - began) / 1000).toFixed(1)} s`);

    for (const { name, steps, state, momentum, xi } of alone) {
      t.true(state.value <= TOLERANCE, `${name}, step ${state.at + 1} alone: ${steps.stateWhere[state.at]} differs by ${state.value}`);
      t.true(momentum.value <= TOLERANCE, `${name}, step ${momentum.at + 1} alone: the momentum of ${steps.momentumWhere[momentum.at]} differs by ${momentum.value}`);
      t.deepEqual(ours[name].rejected, steps.rejected, `${name}, each step alone: the same steps rejected`);
      t.true(xi.value <= TOLERANCE, `${name}, step ${xi.at + 1} alone: xi* differs by ${xi.value}`);
    }
    const same = (a: Tensors[string], b: Tensors[string]) => a.data.length === b.data.length && Array.from(b.data).every((v, i) => a.data[i] === v);
    for (const { name, mine, theirs, state, momentum, xi, accepted, context } of compared) {
      t.deepEqual(Object.keys(mine.state).sort(), Object.keys(theirs.state).sort(), `${name}: the same state-dict names`);
      t.true(state.worst <= TOLERANCE, `${name}: ${state.where} differs by ${state.worst} (relative to its largest value); ${context}`);
      if (momentum) {
        t.deepEqual(Object.keys(mine.momentum!).sort(), Object.keys(theirs.momentum).sort(), `${name}: a momentum buffer per trained parameter`);
        t.true(momentum.worst <= TOLERANCE, `${name}: the momentum of ${momentum.where} differs by ${momentum.worst}; ${context}`);
      }
      t.deepEqual(mine.rejected, theirs.rejected, `${name}: the same steps rejected`);
      t.true(xi <= TOLERANCE, `${name}: xi* differs by up to ${xi}; ${context}`);
      // Enough accepted line searches that the perturbation of θ is exercised.
      t.true(accepted >= 10, `${name}: only ${accepted} of ${STEPS} line searches found a minimum`);
      for (const key of start.model.parameterGroups.classifier) t.true(same(mine.state[key], s0[key]), `${name}: PoF keeps ${key}`);
    }
    t.true(moved > 100 * TOLERANCE, `a trained parameter moved by only ${moved}`);
    t.true(dropped.worst > 100 * TOLERANCE, `without momentum the result differs by only ${dropped.worst}`);
  });
}
