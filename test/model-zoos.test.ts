// Models as the zoos ship them (test/fixtures/python/model_zoos.py: tiny configs, random weights), exported with
// python/export_program.py: transformers' BERT (non-persistent buffers, an attention mask from the padding id, a
// SequenceClassifierOutput) and GPT-2 (a per-token head, exported with a features function), and timm's distilled
// LeViT (two averaged heads, exported on its pre-logits). Each trains with SGD and PoF here, and its weights load
// back into the stock PyTorch module with load_state_dict(strict=True), giving our logits. A zoo that python3
// cannot import is skipped, saying so (CI installs transformers; timm needs a torchvision that matches torch).
import test from 'ava';
import { spawnSync } from 'child_process';
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { datasets, models, PoFTrainer } from '../lib';
import { tempDir } from './helpers/fixtures';
import { largestLogitGap } from './helpers/logits';
import { bytesOf } from './helpers/state-compare';
import { rng } from './helpers/synthetic';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'test', 'fixtures', 'python', 'model_zoos.py');

function python(args: string[]): string {
  const r = spawnSync('python3', [script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 model_zoos.py ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const probe = spawnSync('python3', [script, 'available'], { encoding: 'utf8' });
const zoos: Record<string, boolean> = probe.status === 0 ? JSON.parse(probe.stdout.trim().split('\n').pop()!) : {};
const MODELS = [['bert', 'transformers'], ['gpt2', 'transformers'], ['levit', 'timm']] as const;

for (const [name, zoo] of MODELS) {
  const maybe = zoos[zoo] ? test : test.skip;
  if (!zoos[zoo]) console.warn(`model-zoos.test: python3 cannot import ${zoo}; the ${name} test is skipped`);
  maybe(`${zoo} ${name} as it ships: exported by the helper, trains with SGD and PoF, and loads back strictly with our logits`, async (t) => {
    const dir = tempDir(`zoo-${name}`);
    python(['export', name, dir]);
    const f = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
    const n = 24, per = f.inputShape.reduce((a: number, b: number) => a * b, 1);
    const r = rng(5);
    const tokens = f.inputDtype === 'int64';
    const values = Float32Array.from({ length: n * per }, () => (tokens ? 1 + Math.floor(r() * (f.vocab - 1)) : r() * 2 - 1));
    const labels = Int32Array.from({ length: n }, (_, i) => i % f.numClasses);
    const set = datasets.fromArrays({ kind: tokens ? 'tokens' : 'values', images: tokens ? Int32Array.from(values) : values, labels,
      shape: [n, ...f.inputShape], numClasses: f.numClasses, name });
    const trainer = new PoFTrainer({ model: models.exported({ file: path.join(dir, `${name}.pt2`), classifier: f.classifier }), device: 'cpu', seed: 1 });
    const fitted = await trainer.fit(set, { epochs: 1, batchSize: 8, lr: 0.05 });
    t.true(Number.isFinite(fitted.history[0].loss));
    const trained = await trainer.stateDict();
    const post = await trainer.postTrain(set, { epochs: 1, batchSize: 8, lr: 1e-3 });
    t.true(Number.isFinite(post.history[0].loss));
    const after = await trainer.stateDict();
    const classifier = trainer.model.parameterGroups.classifier;
    const same = (a: typeof after[string], b: typeof after[string]) => bytesOf(a).equals(bytesOf(b));
    for (const key of classifier) t.true(same(after[key], trained[key]), `PoF keeps ${key}`);
    t.true(Object.keys(after).some((k) => !classifier.includes(k) && !same(after[k], trained[k])), 'PoF moves the features');
    const weights = path.join(dir, 'model.safetensors'), inputs = path.join(dir, 'inputs.f32');
    await trainer.save(weights);
    await fs.writeFile(inputs, Buffer.from(values.buffer));
    const theirs: number[] = JSON.parse(python(['logits', name, weights, inputs, [n, ...f.inputShape].join(',')]).trim().split('\n').pop()!).logits;
    const worst = await largestLogitGap(trainer, set, n, theirs);
    t.true(worst < 1e-4, `our logits differ from the stock module's by up to ${worst}`);
    t.log(`${name}: ${Object.keys(after).length} tensors in the state dict; logits within ${worst.toExponential(1)} of PyTorch's`);
  });
}
