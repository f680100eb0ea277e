// The fast paths and their instruments: no host synchronisation per training step, the performance
// options (channelsLast, CUDA-only settings), and the op profiler.
import test from 'ava';
import { lineSearch, models, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { twoLayerMlp as mlp } from './helpers/small-models';
import { range, testDevice as device, tinyImages } from './helpers/synthetic';

const wrn = () => models.wideResNet({ depth: 10, widen: 1, numClasses: 4 });

// One test at a time touches the process-wide sync counter.
test.serial('a training epoch makes no host synchronisation per step (SGD, SAM, PoF, PoF with feature reuse)', async (t) => {
  const images = (steps: number) => tinyImages(8 * steps, steps);  // with crop, flip and cutout on the device
  const trainer = new PoFTrainer({ model: wrn(), device, seed: 0 });
  const runs = [
    ['sgd', (d: ReturnType<typeof images>) => trainer.fit(d, { epochs: 1, batchSize: 8, lr: 0.01, method: 'sgd' })],
    ['sam', (d: ReturnType<typeof images>) => trainer.fit(d, { epochs: 1, batchSize: 8, lr: 0.01, method: 'sam' })],
    ['pof', (d: ReturnType<typeof images>) => trainer.postTrain(d, { epochs: 1, batchSize: 8 })],
    ['pof + reuse', (d: ReturnType<typeof images>) => trainer.postTrain(d, { epochs: 1, batchSize: 8, featureReuse: true })],
  ] as const;
  const short = images(2), long = images(6);
  for (const [, run] of runs) await run(short), await run(long);  // resident data, warm caches
  native.watchHostSyncs(true);
  try {
    for (const [name, run] of runs) {
      let before = native.hostSyncCount();
      await run(short);
      const two = native.hostSyncCount() - before;
      before = native.hostSyncCount();
      await run(long);
      const six = native.hostSyncCount() - before;
      t.is(six, two, `${name}: 4 more steps, ${six - two} more host syncs`);
      t.true(two <= 1, `${name}: ${two} host syncs in a 2-step epoch (only the end-of-epoch statistics read may sync)`);
    }
    // The watcher is live: an explicit host read is counted.
    const before = native.hostSyncCount();
    lineSearch({ features: new Float32Array([1, 0, 0, 1]), labels: new Int32Array([0, 1]), weight: new Float32Array(4),
      bias: new Float32Array(2), numClasses: 2 });
    t.true(native.hostSyncCount() > before, 'lineSearch() reads its results on the host and is counted');
  } finally {
    native.watchHostSyncs(false);
  }
});

test('performance options: channelsLast gives the same step; CUDA-only options refuse the CPU', async (t) => {
  const data = tinyImages(16, 3);
  const step = { method: 'sgd' as const, indices: range(16), lr: 0.1 };
  const plain = new PoFTrainer({ model: wrn(), device, seed: 1 });
  const nhwc = new PoFTrainer({ model: wrn(), device, seed: 1, performance: { channelsLast: true } });
  await plain.step(data, step);
  await nhwc.step(data, step);
  const a = await plain.stateDict(), b = await nhwc.stateDict();
  let worst = 0;
  for (const name of Object.keys(a)) {
    const x = a[name].data as Float32Array, y = b[name].data as Float32Array;
    if (!(x instanceof Float32Array)) continue;
    for (let i = 0; i < x.length; i += 1) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  t.true(worst < 1e-4, `largest weight difference ${worst}`);
  t.throws(() => new PoFTrainer({ model: mlp(), device, performance: { channelsLast: true } }), { message: /convolutional model/ });
  if (device === 'cpu') {
    t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { cudnnBenchmark: true } }), { message: /CUDA devices only/ });
    t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { autocast: 'bf16' } }), { message: /CUDA devices only/ });
  }
  t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { autocast: 'fp8' as 'bf16' } }), { name: 'OptionError' });
  t.throws(() => new PoFTrainer({ model: wrn(), device, performance: { fast: true } as object }), { name: 'OptionError', message: /fast/ });
});

test.serial('the op profiler times PoF phases and ops; misuse gives errors', async (t) => {
  const data = tinyImages(16, 4);
  const trainer = new PoFTrainer({ model: wrn(), device, seed: 0 });
  await trainer.postTrain(data, { epochs: 1, batchSize: 8 });
  native.startOpProfile();
  t.throws(() => native.startOpProfile(), { message: /already running/ });
  await trainer.postTrain(data, { epochs: 1, batchSize: 8 });
  const p = native.stopOpProfile();
  t.throws(() => native.stopOpProfile(), { message: /no op profile is running/ });
  const byName = new Map(p.ops.map((o) => [o.name, o]));
  for (const phase of ['pof::features_of_B', 'pof::line_search_and_perturb', 'pof::forward_backward_on_B~', 'pof::optimizer_step']) {
    t.is(byName.get(phase)?.calls, 2, phase);
  }
  const conv = byName.get('aten::convolution');
  t.true(conv !== undefined && conv.calls > 0 && conv.selfMs >= 0 && conv.totalMs >= conv.selfMs);
  const phases = ['pof::features_of_B', 'pof::line_search_and_perturb', 'pof::forward_backward_on_B~', 'pof::optimizer_step']
    .reduce((a, n) => a + byName.get(n)!.totalMs, 0);
  t.true(phases <= p.wallMs, `phases ${phases} ms within the wall time ${p.wallMs} ms`);
});
