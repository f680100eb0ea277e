// A checkpoint records the LibTorch thread count it was written with; resuming under another count
// warns, as the run can no longer be bit-identical. Its own file: it changes the process-wide count.
import test from 'ava';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { smallMlp as mlp } from './helpers/small-models';
import { blobs, testDevice as device } from './helpers/synthetic';

test('checkpoints record the thread count; resuming with another count warns that it is not bit-identical', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pof-threads-'));
  const data = blobs(32, 6, 3, 1);
  const file = path.join(dir, 'fit-epoch-1.safetensors');
  const trainer = new PoFTrainer({ model: mlp(), device });
  await trainer.fit(data, { epochs: 2, batchSize: 8, checkpoint: { dir } });
  const threads = native.numThreads();
  const info = await new PoFTrainer({ model: mlp(), device }).load(file);
  t.is(info.threads, threads);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => { if (w.name === 'PoFThreadsWarning') warnings.push(w); };
  process.on('warning', onWarning);
  native.numThreads(threads + 1);
  try {
    await new PoFTrainer({ model: mlp(), device }).fit(data, { resume: file });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    native.numThreads(threads);
    process.off('warning', onWarning);
  }
  t.is(warnings.length, 1);
  t.regex(warnings[0].message, new RegExp(`written with ${threads} LibTorch threads and this process runs ${threads + 1}`));
});
