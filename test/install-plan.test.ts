// The install script's decision (scripts/install-plan.js) on fake LibTorch descriptions, and `install.js --plan`
// against a fake LibTorch tree: an addon built for another LibTorch is replaced, never relinked. Nothing is built.
import test from 'ava';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadedAddon } from '../lib/addon';
import { fakeLibTorch } from './helpers/fake-libtorch';
import { tempDir } from './helpers/fixtures';

const ROOT = path.resolve(__dirname, '../..');
/* eslint-disable @typescript-eslint/no-require-imports */
const { installPlan, staleAddon } = require(path.join(ROOT, 'scripts', 'install-plan.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

const TORCH = { root: '/venv/torch', source: 'LIBTORCH', version: '2.15.0', cuda: false };
const BUILT_HERE = { libtorch: '2.15.0', variant: 'cpu', root: '/venv/torch' };
const BUILT_ELSEWHERE = { libtorch: '2.13.0', variant: 'cpu', root: '/usr/lib/python3/torch' };
const NONE = { file: null, others: [] };
const facts = (more: object) => ({ torch: TORCH, key: 'torch2.15-cpu-k', existing: null, fromSource: false, dirs: ['/p'], found: NONE, ...more });

test('staleAddon: the same root, major.minor and variant fit; anything else is named with where each LibTorch is', (t) => {
  t.is(staleAddon(BUILT_HERE, TORCH), null);
  t.is(staleAddon({ ...BUILT_HERE, libtorch: '2.15.1' }, TORCH), null, 'another patch release at the same root, as the load check');
  t.is(staleAddon(BUILT_ELSEWHERE, TORCH), 'the addon in build/Release was built for LibTorch 2.13.0 (cpu) at /usr/lib/python3/torch, ' +
    'not for the LibTorch 2.15.0 (cpu) found at /venv/torch [LIBTORCH] (to keep using that one, install with LIBTORCH=/usr/lib/python3/torch)');
  t.regex(staleAddon({ ...BUILT_HERE, variant: 'cu132' }, TORCH) ?? '', /built for LibTorch 2\.15\.0 \(cu132\) at \/venv\/torch, not for the LibTorch 2\.15\.0 \(cpu\)/);
  t.regex(staleAddon({ ...BUILT_HERE, root: '/other/torch' }, TORCH) ?? '', /at \/other\/torch, not for/);
  t.regex(staleAddon(null, TORCH) ?? '', /has no readable build-info file/);
});

test('installPlan: a fitting prebuild is installed (replacing a stale addon, said why); else a compile, said why', (t) => {
  t.deepEqual(installPlan(facts({})), { action: 'source', why: 'no prebuilt addon for torch2.15-cpu-k in /p' });
  t.deepEqual(installPlan(facts({ existing: { build: BUILT_HERE } })), { action: 'source', why: 'no prebuilt addon for torch2.15-cpu-k in /p' });
  t.deepEqual(installPlan(facts({ existing: { build: BUILT_ELSEWHERE }, found: { file: null, others: ['a.tar.gz'] } })),
    { action: 'source', why: `${staleAddon(BUILT_ELSEWHERE, TORCH)}, and no prebuilt addon for torch2.15-cpu-k in /p (there: a.tar.gz)` });
  const found = { file: '/p/x.tar.gz', others: [] };
  t.deepEqual(installPlan(facts({ found })), { action: 'prebuild', file: '/p/x.tar.gz', replaces: null });
  t.deepEqual(installPlan(facts({ found, existing: { build: BUILT_ELSEWHERE } })),
    { action: 'prebuild', file: '/p/x.tar.gz', replaces: staleAddon(BUILT_ELSEWHERE, TORCH) });
  t.deepEqual(installPlan(facts({ found, existing: { build: BUILT_ELSEWHERE }, fromSource: true })),
    { action: 'source', why: 'a build from source was asked for' });
});

test('install.js --plan with LIBTORCH at another LibTorch says it would compile, naming both LibTorches, and does nothing', (t) => {
  const build = loadedAddon().build!;
  const release = path.dirname(loadedAddon().file);
  const bound = () => [fs.readlinkSync(path.join(release, 'pof_torch.libtorch')), fs.readFileSync(path.join(release, 'pof_torch.build-info.json'), 'utf8')];
  const before = bound();
  const other = fakeLibTorch({ version: '2.99.0' });
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'install.js'), '--plan'],
    { env: { ...process.env, LIBTORCH: other, POF_TORCH_PREBUILDS: tempDir('no-prebuilds') }, encoding: 'utf8' });
  t.true(out.includes(`pof-torch: LibTorch 2.99.0 at ${other} [LIBTORCH]: addon key torch2.99-cpu-`), out);
  t.true(out.includes(`pof-torch: compiling the addon from source, because the addon in build/Release was built for LibTorch ` +
    `${build.libtorch} (${build.variant}) at ${build.root}, not for the LibTorch 2.99.0 (cpu) found at ${other} [LIBTORCH]`), out);
  t.deepEqual(bound(), before, 'the addon keeps its link and build-info file');
});

test('under npx (npm_command=exec) the install script leaves a built addon as it is, whatever LibTorch it would find', (t) => {
  const build = loadedAddon().build!;
  const other = fakeLibTorch({ version: '2.99.0' });
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'install.js'), '--plan'],
    { env: { ...process.env, LIBTORCH: other, npm_command: 'exec' }, encoding: 'utf8' });
  t.is(out, `pof-torch: npx ran the install script again: the addon in build/Release stays as built, for LibTorch ${build.libtorch} ` +
    `(${build.variant}) at ${build.root} (npm install, with LIBTORCH, to change it)\n`);
});
