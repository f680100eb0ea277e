// A user's own network through torch.export (models.exported): the five networks of
// test/fixtures/python/exported_networks.py (a BatchNorm CNN with residuals, a small ViT with dropout, a text
// classifier over int64 token ids, a bias-free classifier, tied weights; and as model zoos ship them: a
// transformers-style encoder with a non-persistent buffer, a lifted constant, an attention mask and a .logits
// output, Swin's int64 index table, timm's two averaged heads, GPT-2's per-token head), exported by
// python/export_program.py.
// One SGD, SAM and PoF step equals eager PyTorch's (test/fixtures/python/eager_steps.py, written from the
// definitions); the weights go back to PyTorch under the model's own names; bad archives get clear errors.
// Needs python3 with torch (skipped otherwise).
import test from 'ava';
import { spawnSync } from 'child_process';
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { analysis, CheckpointError, datasets, ImageSet, models, OptionError, PoFError, PoFTrainer, StateDict, UnsupportedError } from '../lib';
import * as zlib from 'zlib';
import { ZipArchive } from '../lib/checkpoint/zip';
import { tempDir } from './helpers/fixtures';
import { largestLogitGap } from './helpers/logits';
import { f32Bytes, npyBytes } from './helpers/npy-writer';
import { DeflatedEntry, writeZip } from './helpers/zip-writer';
import { evalAndAnalyzeToy, pof } from './helpers/pof-cli';
import { range, rng, testDevice as device } from './helpers/synthetic';
import { worstRelative } from './helpers/state-compare';

const root = path.resolve(__dirname, '..', '..');
const scripts = path.join(root, 'test', 'fixtures', 'python');
const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const maybe = hasTorch ? test : test.skip;
// Dropout draws from LibTorch's one default generator: the step comparisons run alone (serial tests run first).
const maybeAlone = hasTorch ? test.serial : test.skip;
if (!hasTorch) console.warn('exported.test: python3 has no torch; the torch.export tests are skipped');

function python(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync('python3', args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Fixture {
  file: string; state: string; classifier: string; inputShape: number[]; inputDtype: string; numClasses: number; vocab?: number;
}

const NETWORKS = ['cnn', 'vit', 'text', 'nobias', 'tied', 'encoder', 'windows', 'distilled', 'pertoken'] as const;
type Network = typeof NETWORKS[number];
let exported: Record<Network, Fixture> | undefined;

/** The networks exported once (about 30 s): NAME.pt2, its torch.save state dict and its description. */
function fixture(name: Network): Fixture {
  if (!exported) {
    const dir = tempDir('exported-networks');
    python([path.join(scripts, 'exported_networks.py'), dir]);
    exported = Object.fromEntries(NETWORKS.map((n) => [n, {
      ...JSON.parse(readFileSync(path.join(dir, `${n}.json`), 'utf8')), file: path.join(dir, `${n}.pt2`), state: path.join(dir, `${n}.state.pt`),
    }])) as Record<Network, Fixture>;
  }
  return exported[name];
}

const specOf = (f: Fixture) => models.exported({ file: f.file, classifier: f.classifier });
// The comparisons with PyTorch's CPU reference run on the CPU whatever POF_TEST_DEVICE says: they check the
// runtime's arithmetic against eager's to 1e-6, which a GPU's own kernels (TF32 convolutions) would not meet.
const cpu = 'cpu' as const;

/** n examples the network takes (token ids in range for the text classifier) and their raw files for Python. */
async function examples(f: Fixture, n: number, seed: number, dir: string) {
  const r = rng(seed);
  const per = f.inputShape.reduce((a, b) => a * b, 1);
  const tokens = f.inputDtype === 'int64';
  const values = Float32Array.from({ length: n * per }, () => (tokens ? Math.floor(r() * f.vocab!) : r() * 2 - 1));
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % f.numClasses);
  // Token ids go in as an Int32Array of kind 'tokens' (int64 in the model); Python reads the same ids as float32 and casts.
  const images = tokens ? Int32Array.from(values) : values;
  const set = datasets.fromArrays({ kind: tokens ? 'tokens' : 'values', images, labels, shape: [n, ...f.inputShape], numClasses: f.numClasses,
    name: `examples-${seed}` });
  const inputs = path.join(dir, `inputs-${seed}.f32`), labelFile = path.join(dir, `labels-${seed}.i32`);
  await fs.writeFile(inputs, Buffer.from(values.buffer));
  await fs.writeFile(labelFile, Buffer.from(labels.buffer));
  return { set, inputs, labels: labelFile, shape: [n, ...f.inputShape] };
}

const bytes = (t: StateDict[string]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const isStatistic = (name: string) => /running_(mean|var)$|num_batches_tracked$/.test(name);

const STEP_OPTIONS = { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true };
const STEPS = [
  { method: 'sgd' as const, indices: range(8), ...STEP_OPTIONS },
  { method: 'sam' as const, indices: range(8, 8), rho: 0.05, ...STEP_OPTIONS },
  { method: 'pof' as const, indices: range(8, 8), weakIndices: range(8), gamma: 2, ...STEP_OPTIONS, lr: 0.01 },
];

for (const name of NETWORKS) {
  maybeAlone(`${name}: one SGD, SAM and PoF step each equal eager PyTorch's (BatchNorm statistics bit for bit)`, async (t) => {
    const f = fixture(name);
    const dir = tempDir(`exported-step-${name}`);
    const data = await examples(f, 16, 1, dir);
    // The user's own torch.save(model.state_dict()) imports under the model's own names, equal to the archive's.
    const archive = new PoFTrainer({ model: specOf(f), device: cpu, seed: 7 });
    const imported = new PoFTrainer({ model: specOf(f), device: cpu, seed: 7 });
    await imported.importPyTorch(f.state);
    const start = await archive.stateDict(), fromFile = await imported.stateDict();
    t.deepEqual(Object.keys(fromFile).sort(), Object.keys(start).sort());
    // Exactly what model.state_dict() holds: non-persistent buffers and lifted constants stay in the program.
    const stock = JSON.parse(python(['-c', `import json, torch; print(json.dumps(sorted(torch.load(${JSON.stringify(f.state)}, weights_only=True))))`]));
    t.deepEqual(Object.keys(start).sort(), stock);
    t.true(Object.keys(start).every((k) => bytes(start[k]).equals(bytes(fromFile[k]))), 'the archive holds the state dict');
    for (const step of STEPS) {
      const trainer = new PoFTrainer({ model: specOf(f), device: cpu, seed: 7 });
      await trainer.step(data.set, step);
      const out = path.join(dir, `${step.method}.pt`);
      const spec = path.join(dir, `${step.method}.json`);
      await fs.writeFile(spec, JSON.stringify({
        network: name, state: f.state, inputs: data.inputs, shape: data.shape, labels: data.labels, seed: 7, out,
        ...step, indices: Array.from(step.indices), weakIndices: 'weakIndices' in step ? Array.from(step.weakIndices) : undefined,
      }));
      python([path.join(scripts, 'eager_steps.py'), spec]);
      const reference = new PoFTrainer({ model: specOf(f), device: cpu, seed: 7 });
      await reference.importPyTorch(out);
      const ours = await trainer.stateDict(), theirs = await reference.stateDict();
      const { worst, where } = worstRelative(ours, theirs);
      t.true(worst <= 1e-6, `${step.method}: ${where} differs by ${worst} (relative to its largest value)`);
      for (const key of Object.keys(theirs).filter(isStatistic)) t.true(bytes(ours[key]).equals(bytes(theirs[key])), `${step.method}: ${key}`);
      if (step.method === 'pof') {
        for (const key of trainer.model.parameterGroups.classifier) t.true(bytes(ours[key]).equals(bytes(start[key])), `PoF keeps ${key}`);
      }
      t.log(`${step.method}: largest relative difference ${worst.toExponential(2)} (${where || 'none'})`);
    }
  });
}

/** PyTorch's logits for `inputs`: `mode` 'logits' loads `source` (a state dict) into the original nn.Module, 'program-logits' runs a .pt2. */
async function pytorchLogits(dir: string, mode: 'logits' | 'program-logits', name: Network, source: string, data: { inputs: string; shape: number[] }) {
  const spec = path.join(dir, `${mode}.json`);
  await fs.writeFile(spec, JSON.stringify({ network: name, state: source, program: source, inputs: data.inputs, shape: data.shape }));
  return JSON.parse(python([path.join(scripts, 'eager_steps.py'), mode, spec]).trim().split('\n').pop()!).logits.flat(Infinity) as number[];
}

for (const name of ['cnn', 'text', 'nobias', 'tied', 'encoder', 'windows', 'distilled', 'pertoken'] as const) {
  maybe(`${name}: trained and post-trained weights go back to PyTorch: load_state_dict(strict=True) and torch.export.load give the same logits`, async (t) => {
    const f = fixture(name);
    const dir = tempDir(`exported-back-${name}`);
    const data = await examples(f, 32, 2, dir);
    const trainer = new PoFTrainer({ model: specOf(f), device: cpu, seed: 3 });
    await trainer.fit(data.set, { epochs: 1, batchSize: 8, lr: 0.05 });
    const trained = await trainer.stateDict();
    await trainer.postTrain(data.set, { epochs: 1, batchSize: 8, lr: 1e-3, gammaMode: 'uniform' });
    const after = await trainer.stateDict();
    for (const key of trainer.model.parameterGroups.classifier) t.true(bytes(after[key]).equals(bytes(trained[key])), `PoF keeps ${key}`);
    const weights = path.join(dir, 'model.safetensors'), program = path.join(dir, 'back.pt2');
    await trainer.save(weights);
    await trainer.exportProgram(program);
    const fromModule = await pytorchLogits(dir, 'logits', name, weights, data);
    const fromProgram = await pytorchLogits(dir, 'program-logits', name, program, data);
    t.deepEqual(fromProgram, fromModule, 'the written-back program computes what the original nn.Module with the weights computes');
    const worst = await largestLogitGap(trainer, data.set, 32, fromModule);
    t.true(worst < 1e-4, `our logits differ from PyTorch's by up to ${worst}`);
    // The archive written back trains here again, with the weights it was written with.
    const again = new PoFTrainer({ model: models.exported({ file: program, classifier: f.classifier }), device: cpu, seed: 3 });
    const reread = await again.stateDict();
    t.true(Object.keys(after).every((k) => bytes(after[k]).equals(bytes(reread[k]))));
  });
}

maybe('an exported CNN resumes bit-identically, runs the analyses (double backward through the graph) and channels-last', async (t) => {
  const f = fixture('cnn');
  const dir = tempDir('exported-resume');
  const data = (await examples(f, 48, 4, dir)).set;
  const options = { epochs: 2, batchSize: 16, lr: 1e-3 };
  const straight = new PoFTrainer({ model: specOf(f), device, seed: 3 });
  await straight.postTrain(data, options);
  const first = new PoFTrainer({ model: specOf(f), device, seed: 3 });
  await first.postTrain(data, { ...options, checkpoint: { dir } });
  const resumed = new PoFTrainer({ model: specOf(f), device, seed: 3 });
  await resumed.postTrain(data, { resume: path.join(dir, 'postTrain-epoch-1.safetensors') });
  const a = await straight.stateDict(), b = await resumed.stateDict();
  t.true(Object.keys(a).every((k) => bytes(a[k]).equals(bytes(b[k]))), 'resumed = uninterrupted, bit for bit');

  const top = await analysis.hessianTopK(straight, data, { subset: 'classifier', k: 2 });
  t.true(top.values[0] >= top.values[1] && top.values[0] > 0);
  const whole = await analysis.hessianTopK(straight, data, { subset: 'all', k: 1, indices: range(8), maxIterations: 20 });
  t.true(Number.isFinite(whole.values[0]) && whole.values[0] > 0, 'double backward runs through the exported graph');
  const xi = await analysis.xiStarDistribution(straight, data, { batches: 4, batchSize: 16 });
  t.is(xi.xi.length + xi.rejected, 4);
  const reuse = await straight.postTrain(data, { ...options, epochs: 1, gammaMode: 'linear', featureReuse: true });
  t.true(Number.isFinite(reuse.history[0].loss) && reuse.history[0].xi !== undefined, 'feature reuse and the linear γ schedule');

  const nhwc = new PoFTrainer({ model: specOf(f), device, seed: 3, performance: { channelsLast: true } });
  const plain = new PoFTrainer({ model: specOf(f), device, seed: 3 });
  await nhwc.postTrain(data, { ...options, epochs: 1 });
  await plain.postTrain(data, { ...options, epochs: 1 });
  const { worst } = worstRelative(await nhwc.stateDict(), await plain.stateDict());
  t.true(worst < 1e-4, `channels-last changes the weights by up to ${worst} (rounding only)`);
});

maybe('the CLI exports a network with python/export_program.py, trains, post-trains, writes it back, evaluates and analyses it', async (t) => {
  const dir = tempDir('exported-cli');
  const file = path.join(dir, 'mlp.pt2');
  const made = spawnSync('python3', [path.join(root, 'python', 'export_program.py'), '--model', 'nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))',
    '--input-shape', '16', '--classifier', '2', '--out', file], { encoding: 'utf8', cwd: dir });
  t.is(made.status, 0, made.stderr);
  t.regex(made.stdout, /pof train --model export:.*mlp\.pt2 --classifier 2/, 'it prints the line to run next');
  const toy = ['--dataset', 'toy', '--batch-size', '64'];
  const model = ['--model', `export:${file}`, '--classifier', '2'];
  const train = await pof(['train', ...toy, ...model, '--epochs', '2', '--lr', '0.05', '--out', path.join(dir, 'sgd')]);
  t.is(train.code, 0, train.stderr);
  const back = path.join(dir, 'pof.pt2');
  const post = await pof(['post-train', ...toy, '--from', path.join(dir, 'sgd', 'model.safetensors'), '--epochs', '1', '--lr', '1e-3',
    '--out', path.join(dir, 'pof'), '--export-program', back]);
  t.is(post.code, 0, post.stderr);
  t.regex(post.stderr, /wrote .*pof\.pt2 \(\.pt2 program\)/);
  t.regex(python(['-c', `import torch; ep = torch.export.load(${JSON.stringify(back)}); print(list(ep.module()(torch.zeros(3, 16)).shape))`]), /\[3, 4\]/);
  const { evaluated, analysed, error } = await evalAndAnalyzeToy(path.join(dir, 'pof', 'model.safetensors'), path.join(dir, 'analysis'));
  t.is(evaluated.code, 0, evaluated.stderr);
  t.true(error < 75);
  t.is(analysed.code, 0, analysed.stderr);
  // Straight from the archive (a network trained in PyTorch): --from FILE with --model export:FILE.
  const direct = await pof(['post-train', ...toy, '--from', file, ...model, '--epochs', '1', '--out', path.join(dir, 'direct')]);
  t.is(direct.code, 0, direct.stderr);
  const wrong = await pof(['train', ...toy, '--model', `export:${file}`, '--classifier', 'head', '--epochs', '1', '--out', path.join(dir, 'bad')]);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /^pof: .*has no parameter 'head\.weight'.*its Linear layers are 0, 2/);
  const notExported = await pof(['post-train', ...toy, '--from', path.join(dir, 'sgd', 'model.safetensors'), '--export-torchscript', path.join(dir, 'x.pt'), '--out', path.join(dir, 'x')]);
  t.is(notExported.code, 2);
  t.regex(notExported.stderr, /^pof: --export-torchscript needs a TorchScript network \(--model torchscript:FILE\); .* holds a exported/);
});

maybe('the helper names a head that is not one Linear applied last, and its --features way out exports it', async (t) => {
  const dir = tempDir('exported-heads');
  const exportCli = (model: string, extra: string[]) => spawnSync('python3', [path.join(root, 'python', 'export_program.py'), '--model', model,
    '--input-shape', model.includes('PerToken') ? '9' : '12', ...(model.includes('PerToken') ? ['--input-dtype', 'int64', '--vocab', '40'] : []),
    '--classifier', model.includes('PerToken') ? 'score' : 'head', '--out', path.join(dir, 'net.pt2'), ...extra], { encoding: 'utf8', cwd: scripts });
  const averaged = exportCli('exported_networks.Distilled()', []);
  t.is(averaged.status, 1);
  t.regex(averaged.stderr, /the model averages two Linear heads, 'head' and 'head_dist'.*\nway out: .*export with features='pre_logits' \(CLI --features pre-logits\)/s);
  const perToken = exportCli('exported_networks.PerToken()', []);
  t.is(perToken.status, 1);
  t.regex(perToken.stderr, /classifier 'score' is a Linear followed by pooling or other ops: its output \[2, 9, 3\] becomes the model's \[2, 3\]/);
  t.regex(perToken.stderr, /features = lambda model, x: model\.wte\(x\)\[:, -1\]/, 'the lines to write, with one of the model\'s own modules');
  for (const [model, features] of [['exported_networks.Distilled()', 'pre-logits'], ['exported_networks.PerToken()', 'lambda model, x: model.hidden(x)[:, -1]']]) {
    const made = exportCli(model, ['--features', features]);
    t.is(made.status, 0, made.stderr);
    const trainer = new PoFTrainer({ model: models.exported({ file: path.join(dir, 'net.pt2'), classifier: model.includes('PerToken') ? 'score' : 'head' }), device: cpu });
    t.is(trainer.model.featureDim, 16, model);
  }
  const padded = exportCli('exported_networks.Distilled()', ['--pad-id', '0']);
  t.regex(padded.stderr, /pad_id: Distilled\.forward takes no attention_mask/);
});

/** A bad archive of test/fixtures/python/exported_failures.py. */
function failure(dir: string, kind: string, env: Record<string, string> = {}): string {
  const file = path.join(dir, `${kind}.pt2`);
  python([path.join(scripts, 'exported_failures.py'), kind, file], env);
  return file;
}

maybe('an archive may use the listed operators only: aten.from_file is refused when read, its file never opened', async (t) => {
  const dir = tempDir('exported-operators');
  // A FIFO: opening it for reading would block the load until a writer came, so a prompt refusal shows it was never opened.
  const fifo = path.join(dir, 'fifo');
  t.is(spawnSync('mkfifo', [fifo]).status, 0);
  const hostile = failure(dir, 'from_file', { POF_FROM_FILE: fifo });
  const error = t.throws(() => new PoFTrainer({ model: models.exported({ file: hostile, classifier: 'fc' }), device: cpu }),
    { instanceOf: UnsupportedError, code: 'ERR_POF_UNSUPPORTED',
      message: /node zeros \(aten\.from_file\.default, from exported_failures\.py:\d+ `h = h \+ torch\.zeros.*`\): the operator aten\.from_file\.default is not one a \.pt2 may use here \(an archive is data/ });
  t.regex(error!.message, /allowOperators: \['aten\.from_file\.default'\]/);
  // A regular file the user can write stays as it was (shared=True would have mapped it).
  const victim = path.join(dir, 'victim.txt');
  await fs.writeFile(victim, 'ORIGINAL');
  const another = failure(dir, 'from_file', { POF_FROM_FILE: victim });
  t.throws(() => new PoFTrainer({ model: models.exported({ file: another, classifier: 'fc' }), device: cpu }), { instanceOf: UnsupportedError });
  t.is(await fs.readFile(victim, 'utf8'), 'ORIGINAL');
  // It can never be allowed; nor can a name that is not an operator's.
  t.throws(() => models.exported({ file: hostile, classifier: 'fc', allowOperators: ['aten.from_file.default'] }),
    { instanceOf: OptionError, message: /allowOperators\[0\] aten\.from_file\.default is never allowed: it reaches files/ });
  for (const bad of ['from_file', 'os.system.default', '_c10d_functional.all_reduce.default', 'aten.renorm']) {
    t.throws(() => models.exported({ file: hostile, classifier: 'fc', allowOperators: [bad] }), { instanceOf: OptionError, message: /allowOperators\[0\]/ }, bad);
  }
  // A pure computation the list lacks: refused, then allowed by name, and it trains.
  const renorm = failure(dir, 'renorm');
  t.throws(() => new PoFTrainer({ model: models.exported({ file: renorm, classifier: 'fc' }), device: cpu }),
    { instanceOf: UnsupportedError, message: /node renorm \(aten\.renorm\.default, .*\): the operator aten\.renorm\.default is not one/ });
  const allowed = new PoFTrainer({ model: models.exported({ file: renorm, classifier: 'fc', allowOperators: ['aten.renorm.default'] }), device: cpu });
  const set = datasets.fromArrays({ images: Float32Array.from({ length: 16 * 6 }, (_, i) => Math.sin(i)), labels: Uint8Array.from({ length: 16 }, (_, i) => i % 3), shape: [16, 6], numClasses: 3, name: 'vectors' });
  const fitted = await allowed.fit(set, { epochs: 1, batchSize: 8, lr: 0.05 });
  t.true(Number.isFinite(fitted.history[0].loss));
  // The CLI: --allow-operator, recorded with the model so that a later command loads it the same way.
  const out = path.join(dir, 'run');
  const toyFree = ['--data', `npy:${await vectors(dir)}`, '--kind', 'values', '--val-fraction', '0.25', '--batch-size', '4', '--epochs', '1'];
  const refused = await pof(['train', '--model', `export:${renorm}`, '--classifier', 'fc', ...toyFree, '--out', path.join(dir, 'refused')]);
  t.is(refused.code, 1, refused.stderr);
  t.regex(refused.stderr, /--allow-operator aten\.renorm\.default/);
  const trained = await pof(['train', '--model', `export:${renorm}`, '--classifier', 'fc', '--allow-operator', 'aten.renorm.default', ...toyFree, '--out', out]);
  t.is(trained.code, 0, trained.stderr);
  const post = await pof(['post-train', '--from', path.join(out, 'model.safetensors'), ...toyFree, '--out', path.join(dir, 'pof')]);
  t.is(post.code, 0, post.stderr);
});

maybe('size arithmetic in an archive is checked: overflow, INT64_MIN / -1 and non-finite sizes are errors, never a crash', async (t) => {
  const dir = tempDir('exported-sizes');
  const min = '-9223372036854775808', big = '4611686018427387904';
  const cases: [string, string, RegExp][] = [
    ['_operator.mod', `[${min}, -1]`, /./],  // Python's answer is 0: it loads
    ['_operator.floordiv', `[${min}, -1]`, /overflows 64-bit integers \(floordiv\)/],
    ['_operator.mul', `[${big}, 4]`, /overflows 64-bit integers \(mul\)/],
    ['_operator.add', `[${big}, ${big}]`, /overflows 64-bit integers \(add\)/],
    ['_operator.neg', `[${min}]`, /overflows 64-bit integers \(neg\)/],
    ['torch.sym_int', '[1e300]', /a size computed as 1e\+300 is not a 64-bit integer/],
    ['_operator.floordiv', '[7, 0]', /integer division by zero/],
  ];
  for (const [target, args, message] of cases) {
    const file = failure(dir, 'size_arithmetic', { POF_BUILTIN: `{"target": "${target}", "args": ${args}}` });
    const load = () => new PoFTrainer({ model: models.exported({ file, classifier: 'fc' }), device: cpu });
    if (target === '_operator.mod') {
      t.notThrows(load, 'mod(INT64_MIN, -1) is 0, as in Python');
      continue;
    }
    t.throws(load, { instanceOf: OptionError, message: new RegExp(`on its own sample inputs .* failed at node boom \\(${target.replace('.', '\\.')}\\): .*${message.source}`) }, `${target} ${args}`);
  }
});

/** The archive `file` rewritten as `out` with some entries changed (by their name after the top folder): bytes, or a deflated stream declaring a size. */
async function tampered(file: string, out: string, changes: Record<string, (bytes: Uint8Array) => Uint8Array | DeflatedEntry>): Promise<string> {
  const archive = new ZipArchive(await fs.readFile(file), file);
  const entries: Record<string, Uint8Array | DeflatedEntry> = {};
  for (const name of archive.names()) {
    const bytes = await archive.read(name);
    const change = changes[name.slice(name.indexOf('/') + 1)];
    entries[name] = change ? change(bytes) : bytes;
  }
  await fs.writeFile(out, writeZip(entries));
  return out;
}

/** A deflated stream of `bytes` whose directory declares `size` (a zip bomb's shape, without its gigabytes). */
const declaring = (size: number, bytes = Buffer.from('{}')): DeflatedEntry => ({ deflated: zlib.deflateRawSync(bytes), size, crc32: zlib.crc32(bytes) });

maybe('an archive\'s records are bounded before they are inflated, and its weights\' metadata is checked', async (t) => {
  const f = fixture('nobias');
  const dir = tempDir('exported-bounds');
  const load = (file: string) => () => new PoFTrainer({ model: models.exported({ file, classifier: 'fc' }), device: cpu });
  const graphBomb = await tampered(f.file, path.join(dir, 'graph-bomb.pt2'), { 'models/model.json': () => declaring(3e9) });
  t.throws(load(graphBomb), { instanceOf: CheckpointError, message: /record 'models\/model\.json' declares 3\.0 GB inflated, more than the 134\.2 MB such a record may hold \(a zip bomb/ });
  const config = JSON.parse(Buffer.from((await new ZipArchive(await fs.readFile(f.file), f.file).read('nobias/data/weights/model_weights_config.json'))).toString());
  const first = Object.keys(config.config)[0];
  const record = config.config[first].path_name;
  const weightBomb = await tampered(f.file, path.join(dir, 'weight-bomb.pt2'), { [`data/weights/${record}`]: () => declaring(3e9, Buffer.alloc(64)) });
  t.throws(load(weightBomb), { instanceOf: CheckpointError, message: new RegExp(`record 'data/weights/${record}' declares 3\\.0 GB inflated, but the tensors that view it reach \\d+ bytes`) });
  const withMeta = (meta: object) => (bytes: Uint8Array) => {
    const c = JSON.parse(Buffer.from(bytes).toString());
    Object.assign(c.config[first].tensor_meta, meta);
    return Buffer.from(JSON.stringify(c));
  };
  const metas: [object, RegExp][] = [
    [{ strides: [{ as_int: -1 }, { as_int: 1 }] }, /must be non-negative/],
    [{ sizes: [{ as_int: 2 ** 62 }, { as_int: 64 }] }, /reach fewer than 2\^63 bytes/],
    [{ storage_offset: { as_int: -5 } }, /must be non-negative/],
    [{ strides: [{ as_int: 1 }] }, /one stride per dimension/],
    [{ sizes: [{ as_int: 4000 }, { as_int: 20 }] }, /runs past its storage/],
  ];
  for (const [meta, message] of metas) {
    const file = await tampered(f.file, path.join(dir, 'meta.pt2'), { 'data/weights/model_weights_config.json': withMeta(meta), 'data/weights/train_weights_config.json': withMeta(meta) });
    const error = t.throws(load(file), { instanceOf: CheckpointError, message }, JSON.stringify(meta));
    t.regex(error!.message, new RegExp(`'${first.replace('.', '\\.')}' \\(sizes`));
    t.notRegex(error!.message, /as_strided|INTERNAL|__w\/pytorch/);
  }
  const manyNodes = await tampered(f.file, path.join(dir, 'nodes.pt2'), { 'models/model.json': (bytes) => {
    const program = JSON.parse(Buffer.from(bytes).toString());
    program.graph_module.graph.nodes = Array.from({ length: 200001 }, (_, i) => ({ name: `n${i}`, target: '_operator.add', inputs: [], outputs: [] }));
    return Buffer.from(JSON.stringify(program));
  } });
  t.throws(load(manyNodes), { instanceOf: CheckpointError, message: /the graph has 200001 nodes, more than the 200000 this runtime reads/ });
  // A constant of another type than the operator's schema says (LibTorch would assert, with its build paths).
  const wrongType = await tampered(f.file, path.join(dir, 'type.pt2'), { 'models/model.json': (bytes) => {
    const program = JSON.parse(Buffer.from(bytes).toString());
    const relu = program.graph_module.graph.nodes.find((n: { target: string }) => n.target === 'torch.ops.aten.linear.default');
    relu.inputs[1].arg = { as_string: '/etc/passwd' };
    return Buffer.from(JSON.stringify(program));
  } });
  const typed = t.throws(load(wrongType), { instanceOf: CheckpointError,
    message: /type\.pt2: program 'model': node linear \(aten\.linear\.default.*\): its argument 'weight' is given as as_string where the operator takes Tensor/ });
  t.notRegex(typed!.message, /INTERNAL ASSERT|__w\/pytorch/);
  // Two members under one name (Python's zipfile takes the last, this reader would take the first): refused.
  const twice = path.join(dir, 'twice.pt2');
  python(['-W', 'ignore', '-c', `import zipfile, shutil
shutil.copy(${JSON.stringify(f.file)}, ${JSON.stringify(twice)})
with zipfile.ZipFile(${JSON.stringify(twice)}, "a") as z:
    z.writestr("nobias/models/model.json", "{}")`]);
  t.throws(load(twice), { instanceOf: CheckpointError, message: /holds two records named 'models\/model\.json'/ });
});

/** Every leaf of a JSON value, as the path of keys to it. */
function leaves(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [at];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => leaves((value as Record<string | number, unknown>)[k], [...at, k]));
}

maybe('a .pt2 whose graph or weight metadata is mutated loads and trains, or is refused with a PoFError: never a crash or LibTorch\'s internal text', async (t) => {
  // The suite's short run; a long one: POF_PT2_FUZZ=ITERATIONS,SEED[,NETWORK].
  const [iterations, seedText, network] = (process.env.POF_PT2_FUZZ ?? '300,31,nobias').split(',');
  const [MUTATIONS, seed] = [Number(iterations), Number(seedText)];
  const name = (network ?? 'nobias') as Network;
  const f = fixture(name);
  const dir = tempDir('exported-fuzz');
  const original = new ZipArchive(await fs.readFile(f.file), f.file);
  const entries: Record<string, Uint8Array> = {};
  for (const name of original.names()) entries[name] = await original.read(name);
  const documents = [`${name}/models/model.json`, `${name}/models/train.json`, `${name}/data/weights/model_weights_config.json`];
  const r = rng(seed);
  const oddValues: unknown[] = [0, -1, 1, 7, 2 ** 62, -(2 ** 63), 1e300, -0.5, 'x', 'torch.ops.aten.from_file.default', '_operator.mod', null, [], {}, true,
    { as_int: -1 }, { as_string: 'y' }, { as_tensor: { name: 'nope' } }];
  const set = (await examples(f, 8, 3, dir)).set;
  const verdicts: Record<string, number> = {};
  for (let i = 0; i < MUTATIONS; i += 1) {
    const document = documents[Math.floor(r() * documents.length)];
    const json = JSON.parse(Buffer.from(entries[document]).toString());
    const paths = leaves(json);
    const where = paths[Math.floor(r() * paths.length)];
    const other = paths[Math.floor(r() * paths.length)].reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], json);
    const value = r() < 0.2 ? other : oddValues[Math.floor(r() * oddValues.length)];
    let parent = json as Record<string | number, unknown>;
    for (const k of where.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    if (where.length > 0) parent[where[where.length - 1]] = value;
    const file = path.join(dir, `m${i}.pt2`);
    await fs.writeFile(file, writeZip({ ...entries, [document]: Buffer.from(JSON.stringify(json)) }));
    const label = `${document.split('/').pop()} ${where.join('.')} = ${JSON.stringify(value)}`;
    try {
      const trainer = new PoFTrainer({ model: models.exported({ file, classifier: f.classifier }), device: cpu });
      await trainer.fit(set, { epochs: 1, batchSize: 4, lr: 0.01 });
      verdicts.trained = (verdicts.trained ?? 0) + 1;
    } catch (error) {
      const e = error as { code?: string; message: string };
      t.true(error instanceof PoFError, `${label}: ${e.message}`);
      t.not(e.code, 'ERR_POF_INTERNAL', `${label}: ${e.message}`);
      t.notRegex(e.message, /INTERNAL ASSERT|__w\/pytorch|Exception raised from/, label);
      verdicts[e.code ?? '?'] = (verdicts[e.code ?? '?'] ?? 0) + 1;
    }
    await fs.rm(file);
  }
  t.log(`${MUTATIONS} mutated archives: ${JSON.stringify(verdicts)}`);
  t.true((verdicts.trained ?? 0) > 0 && Object.keys(verdicts).length > 2, 'some mutations are harmless, others refused');
});

/** 16 examples of 6 values and their labels as .npy files (inputs,labels), for the CLI. */
async function vectors(dir: string): Promise<string> {
  const x = path.join(dir, 'x.npy'), y = path.join(dir, 'y.npy');
  await fs.writeFile(x, npyBytes({ shape: [16, 6], data: f32Bytes(Array.from({ length: 96 }, (_, i) => Math.sin(i))) }));
  await fs.writeFile(y, npyBytes({ descr: '<i4', shape: [16], data: new Uint8Array(Int32Array.from({ length: 16 }, (_, i) => i % 3).buffer) }));
  return `${x},${y}`;
}

maybe('every operator the fixture networks use is on the list of lib/exported-operators.json', async (t) => {
  const list = JSON.parse(readFileSync(path.join(root, 'lib', 'exported-operators.json'), 'utf8')) as { operators: string[]; builtins: string[] };
  const allowed = new Set([...list.operators, ...list.builtins]);
  const used = JSON.parse(python(['-c', `import json, sys, zipfile
ops = set()
for f in sys.argv[1:]:
    with zipfile.ZipFile(f) as z:
        for n in z.namelist():
            if "/models/" in n and n.endswith(".json"):
                ops |= {node["target"].removeprefix("torch.ops.") for node in json.loads(z.read(n))["graph_module"]["graph"]["nodes"]}
print(json.dumps(sorted(ops)))`, ...NETWORKS.map((n) => fixture(n).file)])) as string[];
  t.true(used.length > 40, `${used.length} operators`);
  t.deepEqual(used.filter((op) => !allowed.has(op)), []);
  t.log(`${used.length} operators in the ${NETWORKS.length} fixture networks' graphs, all listed (${allowed.size} on the list)`);
});

maybe('archives the runtime cannot train are refused, naming the node, its operator and the model\'s line', async (t) => {
  const dir = tempDir('exported-failures');
  const load = (kind: string, classifier = 'fc') => () => new PoFTrainer({ model: models.exported({ file: failure(dir, kind), classifier }), device });
  const cases: [string, string, RegExp, typeof OptionError | typeof CheckpointError | typeof UnsupportedError][] = [
    ['cond', 'fc', /node cond \(higher_order\.cond.*\): a higher-order operator .* is not one this runtime runs/, UnsupportedError],
    ['custom_op', 'fc', /node twice \(pof_test_only\.twice\.default, from exported_failures\.py:\d+ `h = twice\(h\)`\): the operator pof_test_only\.twice\.default is a custom operator \(namespace pof_test_only\); a \.pt2 may use ATen operators only/, UnsupportedError],
    ['conv_head', 'fc', /the classifier 'fc' is not applied as an nn\.Linear: its weight goes to node conv2d \(aten\.conv2d\.default, from exported_failures\.py:\d+/, OptionError],
    ['not_last', 'fc', /the classifier 'fc' \(node linear_1 .*`logits = self\.fc\(h\)`\)\) is not applied last: its output goes on to node mul/, OptionError],
    ['shared_classifier', 'fc', /the classifier 'fc' is used by 2 nodes .*PoF perturbs the classifier alone/, OptionError],
    ['static', 'fc', /its input was exported with a fixed batch size \(4\).*export with a dynamic batch dimension/, OptionError],
    ['single', 'fc', /holds one program, exported in one mode.*python\/export_program\.py/, CheckpointError],
    ['pickled', 'fc', /'body\.weight' is pickled: a tensor subclass/, UnsupportedError],
    ['custom_object', 'fc', /'scale' \(record 'custom_obj_0'\) is a custom object \(a TorchBind class or an opaque Python value\), not a tensor: this runtime does not support custom objects/, UnsupportedError],
    ['wide', 'head', /has no parameter 'head\.weight'.*its Linear layers are 0, 1, 2, 3, 4, 5, 6, 7, \.\.\. \(23 more\)$/, OptionError],
  ];
  for (const [kind, classifier, message, instanceOf] of cases) {
    const error = t.throws(load(kind, classifier), { instanceOf, message }, kind);
    t.true(error!.message.length < 600, `${kind}: a readable message (${error!.message.length} characters)`);
  }
  t.throws(() => models.exported({ file: failure(dir, 'not_last'), classifier: 'fc weight' }), { instanceOf: OptionError, message: /classifier must be a dotted module path/ });
});

maybe('an exported model checks data against the program\'s own input, and refuses other exports', async (t) => {
  const f = fixture('cnn');
  const trainer = new PoFTrainer({ model: specOf(f), device });
  const bn1d = new PoFTrainer({ model: models.exported({ file: failure(tempDir('exported-bn'), 'batchnorm1d'), classifier: 'fc' }), device });
  const wrong = datasets.fromArrays({ images: new Float32Array(4 * 3 * 4 * 4), labels: new Uint8Array(4), shape: [4, 3, 4, 4], numClasses: 10, name: 'small' });
  await t.throwsAsync(trainer.evaluate(wrong), { message: /'small' has examples of shape \[3, 4, 4\], but the model exported .*cnn\.pt2 .* takes \[3, 8, 8\]/ });
  await t.throwsAsync(trainer.exportTorchScript(path.join(tempDir('exported-x'), 'x.pt')), { instanceOf: OptionError, message: /only a model from models\.torchScript/ });
  // The training graph runs at the phase's batch sizes before the first epoch: BatchNorm1d at a B of 1 is refused,
  // and the probe leaves the model as it was.
  const set = datasets.fromArrays({ images: Float32Array.from({ length: 16 * 6 }, (_, i) => Math.sin(i)), labels: new Uint8Array(16), shape: [16, 6], numClasses: 3, name: 'vectors' });
  const before = await bn1d.stateDict();
  await t.throwsAsync(bn1d.postTrain(set, { epochs: 1, batchSize: 8, weakBatchSize: 1 }),
    { instanceOf: OptionError, message: /^postTrain: the exported model .*batchnorm1d\.pt2 fails in training mode at batch size 1: the exported model failed at node batch_norm .*Expected more than 1 value per channel/ });
  const after = await bn1d.stateDict();
  t.true(Object.keys(before).every((k) => bytes(before[k]).equals(bytes(after[k]))), 'the probe put the BatchNorm statistics back');
  await t.throwsAsync(new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [4], numClasses: 2 }) }).exportProgram(path.join(tempDir('exported-y'), 'y.pt2')),
    { instanceOf: OptionError, message: /only a model from models\.exported can be written back as a \.pt2 program/ });
});
