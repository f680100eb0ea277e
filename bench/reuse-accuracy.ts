// Does feature reuse (B = the previous iteration's B~, features one step stale) change PoF's accuracy?
// From the same SGD-trained weights, PoF with fresh B features vs with reuse, same seed (same B~
// sequence), on the toy set and on Fashion-MNIST; test error and loss of each, per seed.
//   node dist/bench/reuse-accuracy.js [--seeds 3] [--toy-lr 5e-4] [--fmnist-lr 1e-3] [--fashion-mnist DIR]
//                                     [--json out.json]
import * as fs from 'fs';
import { datasets, models, PoFTrainer, schedules } from '../lib';
import type { ImageSet, ModelSpec, PostTrainOptions, FitOptions, StateDict } from '../lib';
import { fashionMnist } from '../lib/data/readers';

interface Study {
  name: string;
  train: ImageSet;
  test: ImageSet;
  model: ModelSpec;
  fit: FitOptions;
  post: PostTrainOptions;
}

interface Outcome {
  seed: number;
  sgd: { testError: number; testLoss: number };
  fresh: { testError: number; testLoss: number; secondsPerEpoch: number };
  reuse: { testError: number; testLoss: number; secondsPerEpoch: number };
}

async function runStudy(s: Study, seed: number): Promise<Outcome> {
  const base = new PoFTrainer({ model: s.model, seed });
  await base.fit(s.train, s.fit);
  const start: StateDict = await base.stateDict();
  const sgd = await base.evaluate(s.test);
  const post = async (featureReuse: boolean) => {
    const trainer = new PoFTrainer({ model: s.model, seed });
    await trainer.loadStateDict(start);
    const r = await trainer.postTrain(s.train, { ...s.post, featureReuse });
    const e = await trainer.evaluate(s.test);
    return { testError: e.error, testLoss: e.loss, secondsPerEpoch: r.history.reduce((a, h) => a + h.seconds, 0) / r.history.length };
  };
  const fresh = await post(false);
  const reuse = await post(true);
  return { seed, sgd: { testError: sgd.error, testLoss: sgd.loss }, fresh, reuse };
}

function summary(name: string, outcomes: Outcome[]): string {
  const mean = (f: (o: Outcome) => number) => outcomes.reduce((a, o) => a + f(o), 0) / outcomes.length;
  const sd = (f: (o: Outcome) => number) => {
    const m = mean(f);
    return Math.sqrt(outcomes.reduce((a, o) => a + (f(o) - m) ** 2, 0) / Math.max(1, outcomes.length - 1));
  };
  const row = (label: string, f: (o: Outcome) => number, g: (o: Outcome) => number) =>
    `| ${name} | ${label} | ${mean(f).toFixed(2)} ± ${sd(f).toFixed(2)} | ${mean(g).toFixed(4)} |`;
  return [
    row('SGD (start)', (o) => o.sgd.testError, (o) => o.sgd.testLoss),
    row('PoF fresh B', (o) => o.fresh.testError, (o) => o.fresh.testLoss),
    row('PoF feature reuse', (o) => o.reuse.testError, (o) => o.reuse.testLoss),
    `| ${name} | reuse − fresh, per seed | ${outcomes.map((o) => (o.reuse.testError - o.fresh.testError).toFixed(2)).join(', ')} | |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (key: string, fallback: string) => {
    const i = argv.indexOf(`--${key}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
  };
  const seeds = Number(arg('seeds', '3'));
  const fmnistDir = arg('fashion-mnist', '/work/shared/datasets/fashion-mnist');
  const studies: Study[] = [];
  for (const seed of [0]) {
    const { train, test } = datasets.toy({ seed });
    studies.push({
      name: 'toy', train, test,
      model: models.mlp({ inputDim: train.shape[1], hidden: [64, 64, 64, 64], numClasses: train.numClasses }),
      fit: { method: 'sgd', epochs: 100, batchSize: 32, lr: 0.05, weightDecay: 5e-3, schedule: schedules.multistep([50, 75], 0.2) },
      post: { epochs: 50, batchSize: 32, lr: Number(arg('toy-lr', '5e-4')), weightDecay: 5e-3, gamma: 2 },
    });
  }
  if (fs.existsSync(fmnistDir)) {
    const { train, test } = await fashionMnist(fmnistDir);
    const plain = { ...train, augmentation: undefined };  // MLP: no crops or flips
    studies.push({
      name: 'fashion-mnist', train: plain, test,
      model: models.mlp({ inputDim: 784, hidden: [256, 256], numClasses: 10 }),
      fit: { method: 'sgd', epochs: 8, batchSize: 128, lr: 0.05, schedule: schedules.multistep([6], 0.2) },
      post: { epochs: 3, batchSize: 128, lr: Number(arg('fmnist-lr', '1e-3')), gamma: 2 },
    });
  }
  const results: Record<string, Outcome[]> = {};
  const table = ['| data | run | test error % (mean ± sd over seeds) | test loss |', '|---|---|---|---|'];
  for (const s of studies) {
    results[s.name] = [];
    for (let seed = 0; seed < seeds; seed += 1) {
      const o = await runStudy(s, seed);
      results[s.name].push(o);
      console.log(`${s.name} seed ${seed}: SGD ${o.sgd.testError.toFixed(2)} %, PoF fresh ${o.fresh.testError.toFixed(2)} % ` +
        `(${o.fresh.secondsPerEpoch.toFixed(2)} s/epoch), PoF reuse ${o.reuse.testError.toFixed(2)} % (${o.reuse.secondsPerEpoch.toFixed(2)} s/epoch)`);
    }
    table.push(summary(s.name, results[s.name]));
  }
  console.log(`\n${table.join('\n')}`);
  const out = arg('json', '');
  if (out) fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
