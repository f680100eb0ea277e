// A user's own network through TorchScript (models.torchScript): a small BatchNorm ResNet exported from
// PyTorch trains with SGD and SAM, post-trains with PoF (θ0 untouched), evaluates, and goes back to
// PyTorch with exportTorchScript. Needs python3 with torch (skipped otherwise).
import test from 'ava';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { analysis, CheckpointError, datasets, DeviceError, ArraySet, models, OptionError, PoFTrainer, StateDict } from '../lib';
import { tempDir } from './helpers/fixtures';
import { evalAndAnalyzeToy, pof } from './helpers/pof-cli';
import { range, rng, testDevice as device, tinyImages } from './helpers/synthetic';

const root = path.resolve(__dirname, '..', '..');
const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const maybe = hasTorch ? test : test.skip;

function python(script: string) {
  const r = spawnSync('python3', ['-c', script], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: [path.join(root, 'python'), path.join(root, 'test', 'fixtures', 'python')].join(path.delimiter) },
  });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/** The small ResNet of test/fixtures/python/small_resnet.py, exported with python/export_torchscript.py. */
function exportResNet(dir: string): string {
  const file = path.join(dir, 'resnet.pt');
  python(`
import torch
from export_torchscript import export
from small_resnet import SmallResNet
torch.manual_seed(0)
export(SmallResNet(num_classes=10), classifier="fc", file=${JSON.stringify(file)}, example_input=torch.randn(2, 3, 16, 16))`);
  return file;
}

/** Float inputs [n, 3, 16, 16] (no normalisation, so PyTorch can be given exactly the same values). */
function images(n: number, seed: number): ArraySet {
  const r = rng(seed);
  const x = new Float32Array(n * 3 * 16 * 16).map(() => r() * 2 - 1);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  for (let i = 0; i < n; i += 1) x[i * 768 + (labels[i] % 3) * 256] += 3;  // a learnable signal
  return datasets.fromArrays({ images: x, labels, shape: [n, 3, 16, 16], numClasses: 10, name: `images-${seed}` });
}

const bytes = (t: StateDict[string]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

maybe('a TorchScript ResNet trains with SGD and SAM and post-trains with PoF, keeping the classifier', async (t) => {
  const file = exportResNet(tempDir('pof-ts-'));
  const spec = models.torchScript({ file, classifier: 'classifier', inputShape: [3, 16, 16] });
  const trainer = new PoFTrainer({ model: spec, device, seed: 1 });
  const m = trainer.model;
  t.is(m.featureDim, 8);
  t.is(m.numClasses, 10);
  t.deepEqual(m.parameterGroups.classifier, ['classifier.weight', 'classifier.bias']);
  t.is(m.parameterGroups.features[0], 'body.stem.weight');
  const data = images(64, 1);
  const before = await trainer.evaluate(data);
  const fit = await trainer.fit(data, { epochs: 2, batchSize: 16, lr: 0.05, method: 'sgd' });
  t.true(fit.history.every((e) => Number.isFinite(e.loss)));
  await trainer.fit(data, { epochs: 1, batchSize: 16, lr: 0.05, method: 'sam' });
  const trained = await trainer.stateDict();
  t.true(Object.keys(trained).includes('body.bn.running_mean') && Object.keys(trained).includes('body.bn.num_batches_tracked'));
  const pof = await trainer.postTrain(data, { epochs: 2, batchSize: 16, lr: 1e-3 });
  t.true(pof.history.every((e) => Number.isFinite(e.loss) && e.xi !== undefined));
  const after = await trainer.stateDict();
  t.true(bytes(after['classifier.weight']).equals(bytes(trained['classifier.weight'])), 'PoF never writes θ');
  t.true(bytes(after['classifier.bias']).equals(bytes(trained['classifier.bias'])));
  t.false(bytes(after['body.stem.weight']).equals(bytes(trained['body.stem.weight'])), 'φ is updated');
  t.false(bytes(after['body.bn.running_mean']).equals(bytes(trained['body.bn.running_mean'])), 'B̃ passes update BN statistics');
  for (const o of [{ gammaMode: 'uniform' as const }, { gammaMode: 'linear' as const, featureReuse: true }]) {
    const r = await trainer.postTrain(data, { epochs: 1, batchSize: 16, lr: 1e-3, ...o });
    t.true(Number.isFinite(r.history[0].loss), JSON.stringify(o));
  }
  const end = await trainer.evaluate(data);
  t.true(end.loss < before.loss, `training lowered the loss: ${before.loss} -> ${end.loss}`);
});

maybe('exportTorchScript gives PyTorch the post-trained network: same features and logits, θ0 unchanged', async (t) => {
  const dir = tempDir('pof-ts-export-');
  const file = exportResNet(dir);
  const trainer = new PoFTrainer({ model: models.torchScript({ file, classifier: 'classifier', inputShape: [3, 16, 16] }), device, seed: 2 });
  const data = images(48, 2);
  await trainer.postTrain(data, { epochs: 1, batchSize: 16, lr: 1e-3 });
  const out = path.join(dir, 'post-trained.pt');
  await trainer.exportTorchScript(out);
  const ours = await trainer.features(data, range(8));
  const inputs = path.join(dir, 'inputs.f32');
  await fs.writeFile(inputs, Buffer.from((data.images as Float32Array).buffer, 0, 8 * 768 * 4));
  const r = JSON.parse(python(`
import json, torch
m = torch.jit.load(${JSON.stringify(out)}); m.eval()
original = torch.jit.load(${JSON.stringify(file)})
x = torch.frombuffer(bytearray(open(${JSON.stringify(inputs)}, "rb").read()), dtype=torch.float32).reshape(8, 3, 16, 16)
with torch.no_grad():
    f = m.features(x)
    logits = m(x)
print(json.dumps({ "features": f.flatten().tolist(), "logits_match": bool(torch.allclose(logits, m.classifier(f), atol=1e-6)),
  "theta0": bool(torch.equal(m.classifier.weight, original.classifier.weight) and torch.equal(m.classifier.bias, original.classifier.bias)),
  "phi_changed": not bool(torch.equal(m.body.stem.weight, original.body.stem.weight)) }))`).trim().split('\n').pop()!);
  t.true(r.logits_match);
  t.true(r.theta0, 'the exported classifier is θ0');
  t.true(r.phi_changed);
  const worst = ours.reduce((w, v, i) => Math.max(w, Math.abs(v - r.features[i])), 0);
  t.true(worst < 1e-5, `features differ by up to ${worst}`);
  await t.throwsAsync(new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [4], numClasses: 2 }) }).exportTorchScript(out),
    { instanceOf: OptionError, message: /only a model from models.torchScript can be exported/ });
});

maybe('a module without the method or the Linear, or the wrong input shape, is an error listing what it has', async (t) => {
  const dir = tempDir('pof-ts-errors-');
  const file = exportResNet(dir);
  const make = (o: Partial<Parameters<typeof models.torchScript>[0]>) =>
    () => new PoFTrainer({ model: models.torchScript({ file, classifier: 'classifier', inputShape: [3, 16, 16], ...o }) });
  t.throws(make({ features: 'embed' }), { instanceOf: OptionError, message: /has no method 'embed'.*methods .*features.*submodules body, body\.stem/ });
  t.throws(make({ classifier: 'head.fc' }), { instanceOf: OptionError, message: /has no submodule 'head'.*submodules body/ });
  t.throws(make({ classifier: 'body.bn' }), { instanceOf: OptionError, message: /the classifier 'body\.bn' must be an nn\.Linear with a bias, but it is .*BatchNorm2d/ });
  t.throws(make({ inputShape: [5, 16, 16] }), { instanceOf: OptionError, message: /cannot run on inputs of shape \[2, 5, 16, 16\]/ });
  const garbage = path.join(dir, 'garbage.pt');
  await fs.writeFile(garbage, 'not a zip');
  t.throws(make({ file: garbage }), { instanceOf: CheckpointError, message: /garbage\.pt cannot be loaded as a TorchScript module/ });
  const trainer = make({})();
  await t.throwsAsync(trainer.evaluate(datasets.fromArrays({ images: new Float32Array(4 * 3 * 8 * 8), labels: new Uint8Array(4), shape: [4, 3, 8, 8], numClasses: 10, name: 'small' })),
    { message: /'small' has examples of shape \[3, 8, 8\], but the model TorchScript .* takes \[3, 16, 16\]/ });
  t.throws(() => models.torchScript({ file, inputShape: [] }), { instanceOf: OptionError, message: /inputShape must be one example's shape/ });
});

maybe('a TorchScript export of the built-in WRN takes the same SGD, SAM and PoF steps as the built-in network', async (t) => {
  const file = path.join(tempDir('pof-ts-wrn-'), 'wrn.pt');
  python(`
import torch
from pof_wide_resnet import PoFWideResNet
torch.jit.save(torch.jit.script(PoFWideResNet(10, 2, 4)), ${JSON.stringify(file)})`);
  const data = tinyImages(48, 3);
  const builtIn = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 2, numClasses: 4 }), device, seed: 5 });
  const scripted = new PoFTrainer({ model: models.torchScript({ file, classifier: 'classifiers.0', inputShape: [3, 8, 8] }), device, seed: 5 });
  t.deepEqual(Object.keys(await scripted.stateDict()).sort(), Object.keys(await builtIn.stateDict()).sort());
  await scripted.loadStateDict(await builtIn.stateDict());
  const steps = [
    { method: 'sgd' as const, indices: range(16), lr: 0.05 },
    { method: 'sam' as const, indices: range(16, 16), lr: 0.05, rho: 0.05 },
    { method: 'pof' as const, indices: range(16, 32), weakIndices: range(16), lr: 0.01, gamma: 2 },
  ];
  for (const step of steps) {
    await builtIn.step(data, step);
    await scripted.step(data, step);
    const a = await builtIn.stateDict(), b = await scripted.stateDict();
    let worst = 0;
    for (const name of Object.keys(a)) {
      const x = a[name].data, y = b[name].data;
      for (let i = 0; i < x.length; i += 1) {
        const scale = Math.max(1e-3, Math.abs(Number(x[i])));
        worst = Math.max(worst, Math.abs(Number(x[i]) - Number(y[i])) / scale);
      }
    }
    t.true(worst < 1e-5, `${step.method}: weights and BN statistics differ by up to ${worst} (relative)`);
    t.log(`${step.method}: largest relative difference ${worst.toExponential(2)}`);
  }
});

maybe('a TorchScript model resumes bit-identically, runs the classifier analyses and channels-last', async (t) => {
  const dir = tempDir('pof-ts-resume-');
  const file = exportResNet(dir);
  const spec = models.torchScript({ file, classifier: 'classifier', inputShape: [3, 16, 16] });
  const data = images(48, 4);
  const options = { epochs: 2, batchSize: 16, lr: 1e-3 };
  const straight = new PoFTrainer({ model: spec, device, seed: 3 });
  await straight.postTrain(data, options);
  const first = new PoFTrainer({ model: spec, device, seed: 3 });
  await first.postTrain(data, { ...options, checkpoint: { dir } });
  const resumed = new PoFTrainer({ model: spec, device, seed: 3 });
  await resumed.postTrain(data, { resume: path.join(dir, 'postTrain-epoch-1.safetensors') });
  const a = await straight.stateDict(), b = await resumed.stateDict();
  t.true(Object.keys(a).every((k) => bytes(a[k]).equals(bytes(b[k]))), 'resumed = uninterrupted, bit for bit');

  const top = await analysis.hessianTopK(straight, data, { subset: 'classifier', k: 2 });
  t.is(top.values.length, 2);
  t.true(top.values[0] >= top.values[1] && top.values[0] > 0);
  const whole = await analysis.hessianTopK(straight, data, { subset: 'all', k: 1, indices: range(8), maxIterations: 20 });
  t.true(Number.isFinite(whole.values[0]), 'double backward runs through the TorchScript module');
  const xi = await analysis.xiStarDistribution(straight, data, { batches: 4, batchSize: 16 });
  t.is(xi.xi.length + xi.rejected, 4);

  const nhwc = new PoFTrainer({ model: spec, device, seed: 3, performance: { channelsLast: true } });
  const plain = new PoFTrainer({ model: spec, device, seed: 3 });
  await nhwc.postTrain(data, { ...options, epochs: 1 });
  await plain.postTrain(data, { ...options, epochs: 1 });
  const x = await nhwc.stateDict(), y = await plain.stateDict();
  let worst = 0;
  for (const k of Object.keys(x)) {
    for (let i = 0; i < x[k].data.length; i += 1) worst = Math.max(worst, Math.abs(Number(x[k].data[i]) - Number(y[k].data[i])));
  }
  t.true(worst < 1e-4, `channels-last changes the weights by up to ${worst} (rounding only)`);
});

maybe('the CLI trains, post-trains, exports, evaluates and analyses a --model torchscript:FILE network', async (t) => {
  const dir = tempDir('pof-ts-cli-');
  const file = path.join(dir, 'mlp.pt');
  python(`
import torch
from torch import nn
from export_torchscript import export
class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.head = nn.Linear(32, 4)
    def forward(self, x):
        return self.head(self.hidden(x))
torch.manual_seed(0)
export(Mlp(), classifier="head", file=${JSON.stringify(file)}, example_input=torch.randn(2, 16))`);
  const toy = ['--dataset', 'toy', '--batch-size', '64'];
  const train = await pof(['train', ...toy, '--model', `torchscript:${file}`, '--epochs', '2', '--lr', '0.05', '--out', path.join(dir, 'sgd')]);
  t.is(train.code, 0, train.stderr);
  const exported = path.join(dir, 'pof.pt');
  const post = await pof(['post-train', ...toy, '--from', path.join(dir, 'sgd', 'model.safetensors'), '--epochs', '1', '--lr', '1e-3',
    '--out', path.join(dir, 'pof'), '--export-torchscript', exported]);
  t.is(post.code, 0, post.stderr);
  t.regex(post.stderr, /wrote .*pof\.pt \(TorchScript\)/);
  t.regex(python(`import torch; m = torch.jit.load(${JSON.stringify(exported)}); print(list(m.classifier.weight.shape))`), /\[4, 32\]/);
  const { evaluated, analysed, error } = await evalAndAnalyzeToy(path.join(dir, 'pof', 'model.safetensors'), path.join(dir, 'analysis'));
  t.is(evaluated.code, 0, evaluated.stderr);
  t.true(error < 75);
  t.is(analysed.code, 0, analysed.stderr);
  // Straight from the TorchScript file (a network trained in PyTorch): --from FILE with --model torchscript:FILE.
  const direct = await pof(['post-train', ...toy, '--from', file, '--model', `torchscript:${file}`, '--epochs', '1', '--out', path.join(dir, 'direct')]);
  t.is(direct.code, 0, direct.stderr);
  const wrongPart = await pof(['train', ...toy, '--model', `torchscript:${file}`, '--classifier', 'body.hidden', '--epochs', '1', '--out', path.join(dir, 'bad')]);
  t.is(wrongPart.code, 2);
  t.regex(wrongPart.stderr, /^pof: .*the classifier 'body\.hidden' must be an nn\.Linear with a bias, but it is .*Sequential/);
  t.is((await pof(['train', ...toy, '--model', 'mlp-8', '--epochs', '1', '--out', path.join(dir, 'mlp')])).code, 0);
  const notTs = await pof(['post-train', ...toy, '--from', path.join(dir, 'mlp', 'model.safetensors'), '--export-torchscript', exported, '--out', path.join(dir, 'x')]);
  t.is(notTs.code, 2);
  t.regex(notTs.stderr, /^pof: --export-torchscript needs a TorchScript network \(--model torchscript:FILE\)/);
});

/** A network of test/fixtures/python/training_failures.py (`kind`), saved in `dir`. */
function trainingFailure(dir: string, kind: string): string {
  const file = path.join(dir, `${kind}.pt`);
  const r = spawnSync('python3', [path.join(root, 'test', 'fixtures', 'python', 'training_failures.py'), kind, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return file;
}

/** Float vectors [n, 4] in 3 classes, for the networks of training_failures.py. */
function vectors(n: number): ArraySet {
  const images = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 1.7));
  return datasets.fromArrays({ images, labels: Int32Array.from({ length: n }, (_, i) => i % 3), shape: [n, 4], numClasses: 3, name: 'vectors' });
}

maybe('a TorchScript model that fails only in training is refused before the first epoch, naming the file, phase and batch size', async (t) => {
  const dir = tempDir('pof-ts-train-');
  const data = vectors(16);
  const cases = [
    { kind: 'raises', phase: 'fit', options: { batchSize: 4 }, batch: 4, message: /RuntimeError: this model only runs in eval mode/ },
    { kind: 'width', phase: 'fit', options: { batchSize: 4 }, batch: 4, message: /features\(x\) returns float32 \[4, 12\] where the classifier takes float32 \[4, 6\]/ },
    { kind: 'batch', phase: 'fit', options: { batchSize: 4 }, batch: 4, message: /RuntimeError: shape '\[2, 4\]' is invalid for input of size 16/ },
    { kind: 'int64', phase: 'fit', options: { batchSize: 4 }, batch: 4, message: /features\(x\) returns int64 \[4, 6\]/ },
    { kind: 'batchnorm', phase: 'fit', options: { batchSize: 1 }, batch: 1, message: /ValueError: Expected more than 1 value per channel when training/ },
    // PoF's B (weakBatchSize) is probed too: B̃ of 2 runs, B of 4 does not.
    { kind: 'batch', phase: 'postTrain', options: { batchSize: 2, weakBatchSize: 4 }, batch: 4, message: /invalid for input of size 16/ },
  ] as const;
  for (const c of cases) {
    const file = trainingFailure(dir, c.kind);
    const trainer = new PoFTrainer({ model: models.torchScript({ file, inputShape: [4] }), device, seed: 1 });
    const before = await trainer.stateDict();
    const run = c.phase === 'fit' ? trainer.fit(data, { epochs: 1, ...c.options }) : trainer.postTrain(data, { epochs: 1, ...c.options });
    const error = await t.throwsAsync(run, { instanceOf: OptionError, code: 'ERR_POF_OPTION' });
    t.regex(error!.message, new RegExp(`^${c.phase}: the TorchScript model .*${c.kind}\\.pt fails in training mode at batch size ${c.batch}: `), c.kind);
    t.regex(error!.message, c.message, c.kind);
    t.notRegex(error!.message, /internal error|Traceback/);
    const after = await trainer.stateDict();
    t.true(Object.keys(before).every((k) => bytes(before[k]).equals(bytes(after[k]))), `${c.kind}: the refused phase changed nothing`);
  }
});

// Serial: dropout draws from LibTorch's global generator, which the other tests' trainers reseed.
(hasTorch ? test.serial : test.skip)('the training probe leaves the model as it was: probed again and again, a run trains bit-identically', async (t) => {
  // BatchNorm statistics and dropout's generator are what a training-mode pass changes.
  const file = trainingFailure(tempDir('pof-ts-probe-'), 'batchnorm');
  const spec = models.torchScript({ file, inputShape: [4] });
  const data = vectors(24);
  const run = async (probes: number) => {
    const trainer = new PoFTrainer({ model: spec, device, seed: 2 });
    const model = trainer.nativeModelForAnalysis;
    for (let i = 0; i < probes; i += 1) {
      model.probeTraining({ phase: 'fit', batchSizes: [8, 3] });
      t.throws(() => model.probeTraining({ phase: 'fit', batchSizes: [5, 1] }), { code: 'ERR_POF_OPTION', message: /batch size 1/ });
    }
    await trainer.fit(data, { epochs: 2, batchSize: 8, lr: 0.05 });
    await trainer.postTrain(data, { epochs: 1, batchSize: 8, weakBatchSize: 4, lr: 0.01 });
    return trainer.stateDict();
  };
  const plain = await run(0), probed = await run(3);
  t.true(Object.keys(plain).every((k) => bytes(plain[k]).equals(bytes(probed[k]))), 'weights and BN statistics are bit-identical');
});

maybe('a TorchScript model failing mid-run is reported as the model\'s own error, not an internal one', async (t) => {
  const file = trainingFailure(tempDir('pof-ts-late-'), 'late');
  const trainer = new PoFTrainer({ model: models.torchScript({ file, inputShape: [4] }), device, seed: 1 });
  const error = await t.throwsAsync(trainer.fit(vectors(16), { epochs: 2, batchSize: 4 }), { instanceOf: OptionError, code: 'ERR_POF_OPTION' });
  t.regex(error!.message, /^the TorchScript model failed: RuntimeError: fails at the seventh training call$/);
});

maybe('LibTorch\'s allocation failure is a DeviceError saying how much was asked and what to lower', async (t) => {
  const file = trainingFailure(tempDir('pof-ts-huge-'), 'huge');
  const trainer = new PoFTrainer({ model: models.torchScript({ file, inputShape: [4] }), device, seed: 1 });
  const error = await t.throwsAsync(trainer.fit(vectors(16), { epochs: 1, batchSize: 4 }), { instanceOf: DeviceError, code: 'ERR_POF_DEVICE' });
  t.regex(error!.message, /^out of memory on cpu: an allocation of 4503599\.6 GB failed; lower the batch size or the model's width or depth, or use a device with more memory$/);
  t.is((await trainer.evaluate(vectors(16))).examples, 16, 'the trainer still works');
});
