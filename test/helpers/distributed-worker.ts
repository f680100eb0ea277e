// One rank of a data-parallel test job (test/distributed.test.ts starts it with RANK, WORLD_SIZE, MASTER_ADDR and
// MASTER_PORT set, or without them for the single-process reference). The scenario comes as JSON in argv[2];
// the rank's results go to stdout as one JSON line: its epoch figures and its final weights.
import { datasets, models, PoFTrainer } from '../../lib';
import { launchedByTorchrun } from '../../lib/distributed';
import { blobs, tinyImages } from './synthetic';

export interface Scenario {
  /** 'exported': the .pt2 in exportedFile (an MLP over the blobs' 6 values, 3 classes, its classifier '4'). */
  model: 'mlp' | 'wrn' | 'exported';
  exportedFile?: string;
  /** A phase of SGD or SAM, then (pof) one of PoF on the fitted network. */
  fit: { method: 'sgd' | 'sam'; epochs: number; samScope?: 'global' | 'local' };
  pof?: { epochs: number; weakBatchSize?: number; gammaMode?: 'fixed' | 'uniform' };
  batchSize: number;
  examples: number;
  seed: number;
  timeoutMs?: number;
  /** Training checkpoints of the fit phase every epoch, in this directory (rank 0 writes them). */
  checkpointDir?: string;
  /** Continue the fit phase from this checkpoint. */
  resume?: string;
  /** Print "rank R step S" on stderr after every step (for the tests that kill a rank mid-epoch). */
  reportSteps?: boolean;
  /** This rank's training set differs in size (a job whose ranks disagree). */
  examplesOnRank1?: number;
  /** Train on this prepared store (the wrn scenario's images, written by the test) instead of the arrays in memory. */
  store?: string;
}

async function main(): Promise<void> {
  const s = JSON.parse(process.argv[2]) as Scenario;
  const rank = Number(process.env.RANK ?? 0);
  const n = rank === 1 && s.examplesOnRank1 !== undefined ? s.examplesOnRank1 : s.examples;
  const images = s.model === 'wrn' ? tinyImages(n, 11) : blobs(n, 6, 3, 11);
  const data = s.store ? { ...(await datasets.prepared(s.store)), augmentation: images.augmentation } : images;
  const model = s.model === 'mlp' ? models.mlp({ inputDim: 6, hidden: [16, 16], numClasses: 3 })
    : s.model === 'exported' ? models.exported({ file: s.exportedFile!, classifier: '4' })
      : models.wideResNet({ depth: 10, widen: 1, numClasses: 4 });
  const distributed = launchedByTorchrun()
    ? { rank, worldSize: Number(process.env.WORLD_SIZE), masterAddr: process.env.MASTER_ADDR, masterPort: Number(process.env.MASTER_PORT),
      timeoutMs: s.timeoutMs } : undefined;
  const trainer = new PoFTrainer({ model, seed: s.seed, distributed });
  await trainer.ready();
  const onStep = s.reportSteps ? (p: { step: number }) => process.stderr.write(`rank ${rank} step ${p.step}\n`) : undefined;
  const common = { batchSize: s.batchSize, lr: 0.05, onStep, reportEvery: s.reportSteps ? 1 : 0 };
  const fit = await trainer.fit(data, {
    ...common, method: s.fit.method, samScope: s.fit.samScope, epochs: s.fit.epochs, evalData: data,
    checkpoint: s.checkpointDir ? { dir: s.checkpointDir, every: 1 } : undefined, resume: s.resume,
  });
  const post = s.pof ? await trainer.postTrain(data, {
    ...common, lr: 0.01, epochs: s.pof.epochs, weakBatchSize: s.pof.weakBatchSize, gammaMode: s.pof.gammaMode, evalData: data,
  }) : undefined;
  const evaluation = await trainer.evaluate(data, { batchSize: 7 });
  const state = await trainer.stateDict();
  const weights = Object.fromEntries(Object.entries(state).map(([name, t]) => [name, Array.from(t.data as Float32Array, Number)]));
  const history = [...fit.history, ...(post?.history ?? [])].map((e) => ({
    phase: e.phase, epoch: e.epoch, loss: e.loss, error: e.error, xi: e.xi, rejectRate: e.rejectRate, eval: e.eval,
  }));
  process.stdout.write(`${JSON.stringify({ rank, history, evaluation, weights, checkpoints: fit.checkpoints })}\n`);
}

main().catch((error: unknown) => {
  const e = error as { name?: string; code?: string; message?: string };
  process.stderr.write(`${JSON.stringify({ name: e.name, code: e.code, message: e.message })}\n`);
  process.exitCode = 1;
});
