// scripts/find-libtorch.js on fake LibTorch trees: the C++ standard the headers demand, the CUDA runtime
// headers a CUDA LibTorch needs for the sync-debug check, and the message when nothing is found.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fakeLibTorch } from './helpers/fake-libtorch';
import { tempDir } from './helpers/fixtures';

const SCRIPT = path.resolve(__dirname, '../../scripts/find-libtorch.js');

function cudaHeaders(dir: string, complete: boolean, version = 13000): string {
  fs.mkdirSync(path.join(dir, 'crt'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'cuda_runtime_api.h'), `#define CUDART_VERSION ${version}\n`);
  if (complete) fs.writeFileSync(path.join(dir, 'crt', 'host_config.h'), '');
  return dir;
}

function find(root: string, env: Record<string, string> = {}) {
  const out = execFileSync(process.execPath, [SCRIPT], { env: { ...process.env, CUDA_HOME: '', ...env, LIBTORCH: root }, encoding: 'utf8' });
  return JSON.parse(out) as { cuda: boolean; cxxStandard: number; cudaInclude: string | null; includeDirs: string[]; libs: string[] };
}

test('the C++ standard follows the headers: 17, or 20 where they refuse anything older', (t) => {
  t.is(find(fakeLibTorch()).cxxStandard, 17);
  t.is(find(fakeLibTorch({ cxx20: true })).cxxStandard, 20);
});

test('a CPU LibTorch gets no CUDA include directory and no CUDA libraries', (t) => {
  const info = find(fakeLibTorch(), { CUDA_HOME: cudaHeaders(tempDir('cuda'), true) });
  t.false(info.cuda);
  t.is(info.cudaInclude, null);
  t.deepEqual(info.libs, ['c10', 'torch_cpu', 'torch']);
});

test('a CUDA LibTorch takes complete CUDA headers: CUDA_HOME first, then the pip nvidia package, never an incomplete one', (t) => {
  const root = fakeLibTorch({ cuda: true });
  const home = tempDir('cuda-home');
  cudaHeaders(path.join(home, 'include'), true);
  const fromHome = find(root, { CUDA_HOME: home });
  t.is(fromHome.cudaInclude, path.join(home, 'include'));
  t.true(fromHome.includeDirs.includes(path.join(home, 'include')));
  t.deepEqual(fromHome.libs.slice(-2), ['torch_cuda', 'c10_cuda']);

  // pip wheels put the runtime headers in <site-packages>/nvidia/<package>/include, beside torch/
  const pip = cudaHeaders(path.join(root, '..', 'nvidia', 'cu13', 'include'), true);
  t.is(find(root).cudaInclude, pip);
  t.is(find(root, { CUDA_HOME: home }).cudaInclude, path.join(home, 'include'), 'CUDA_HOME wins');
  fs.rmSync(path.join(pip, 'crt', 'host_config.h'));
  t.not(find(root).cudaInclude, pip, 'a runtime package without crt/host_config.h cannot compile cuda_runtime.h');
});

test('CUDA headers of another major version than the LibTorch\'s are passed over', (t) => {
  const root = fakeLibTorch({ cuda: true });
  fs.writeFileSync(path.join(root, 'version.py'), "__version__ = '2.14.1'\ncuda: Optional[str] = '13.0'\n");
  const old = tempDir('cuda-12');
  cudaHeaders(path.join(old, 'include'), true, 12080);
  t.not(find(root, { CUDA_HOME: old }).cudaInclude, path.join(old, 'include'));
  const current = tempDir('cuda-13');
  cudaHeaders(path.join(current, 'include'), true, 13000);
  t.is(find(root, { CUDA_HOME: current }).cudaInclude, path.join(current, 'include'));
});

test('no LibTorch at LIBTORCH is an error that names the path and what was expected', (t) => {
  const missing = path.join(tempDir('no-torch'), 'nothing');
  const r = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, LIBTORCH: missing }, encoding: 'utf8' });
  t.is(r.status, 1);
  t.regex(r.stderr, new RegExp(`LIBTORCH=${missing} is not a LibTorch root: expected include/torch/csrc/api/include/torch/torch.h`));
});

test('the missing-LibTorch message says where to get LibTorch for the CPU and for a CUDA version', (t) => {
  const r = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, LIBTORCH: '', Torch_DIR: '', CMAKE_PREFIX_PATH: '', PATH: '/nonexistent' },
    encoding: 'utf8' });
  t.is(r.status, 1);
  for (const text of ['https://download.pytorch.org/whl/cpu', 'https://download.pytorch.org/whl/cu128', 'LibTorch zip']) t.true(r.stderr.includes(text), text);
});
