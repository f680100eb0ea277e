// python/export_torchscript.py: any nn.Module with a final Linear becomes a TorchScript module with
// `features` and a Linear `classifier` that computes the original's logits (needs python3 with torch).
import test from 'ava';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { tempDir } from './helpers/fixtures';

const root = path.resolve(__dirname, '..', '..');
const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const python = (script: string) => spawnSync('python3', ['-c', script], {
  encoding: 'utf8', env: { ...process.env, PYTHONPATH: [path.join(root, 'python'), path.join(root, 'test', 'fixtures', 'python')].join(path.delimiter) },
});

(hasTorch ? test : test.skip)('a ResNet with BatchNorm exports with features, a Linear classifier and the same logits', (t) => {
  const file = path.join(tempDir('pof-export-'), 'resnet.pt');
  const r = python(`
import json, torch
from export_torchscript import export
from small_resnet import SmallResNet
torch.manual_seed(0)
model = SmallResNet(num_classes=10)
export(model, classifier="fc", file=${JSON.stringify(file)}, example_input=torch.randn(4, 3, 16, 16))
loaded = torch.jit.load(${JSON.stringify(file)})
x = torch.randn(5, 3, 16, 16)
loaded.eval(); model.eval()
f = loaded.features(x)
print(json.dumps({
  "training": torch.jit.load(${JSON.stringify(file)}).training,
  "features": list(f.shape),
  "same_logits": bool(torch.allclose(loaded(x), model(x), atol=1e-6)),
  "classifier_is_fc": bool(torch.equal(loaded.classifier.weight, model.fc.weight)),
  "names": [n for n, _ in loaded.named_parameters()][:2] + [n for n, _ in loaded.named_parameters()][-2:],
  "buffers": len(list(loaded.named_buffers())),
}))`);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.deepEqual(out, {
    training: true, features: [5, 8], same_logits: true, classifier_is_fc: true,
    names: ['body.stem.weight', 'body.bn.weight', 'classifier.weight', 'classifier.bias'], buffers: 15,
  });
});

(hasTorch ? test : test.skip)('a classifier path that is not a Linear is refused, listing the submodules', (t) => {
  const r = python(`
import torch
from export_torchscript import export
from small_resnet import SmallResNet
try:
    export(SmallResNet(), classifier="pool", file="/nonexistent/x.pt", example_input=torch.randn(2, 3, 8, 8))
except ValueError as e:
    print(e)`);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /'pool' must name an nn\.Linear with a bias; the model's submodules are: stem, bn, blocks, blocks\.0, .*fc/);
});
