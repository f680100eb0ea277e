// What a cmake build directory is configured for (scripts/build-config.js) and build-native.js's decision to
// configure it afresh, on fake LibTorch descriptions and a fake build directory: nothing is compiled.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/fixtures';

const ROOT = path.resolve(__dirname, '../..');
/* eslint-disable @typescript-eslint/no-require-imports */
const { configFor, differences, staleReasons, readRecord, writeRecord, RECORD } = require(path.join(ROOT, 'scripts', 'build-config.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

/** A find-libtorch description of a LibTorch that is not there (its variant reads as cpu, or cuda without version.py). */
function fakeTorch(overrides: object = {}) {
  return { root: '/opt/torch-2.13', source: 'LIBTORCH', version: '2.13.0', cuda: false, cxxStandard: 17, cxxFlags: [],
    distributedDefines: ['USE_DISTRIBUTED', 'USE_C10D_GLOO'], includeDirs: ['/opt/torch-2.13/include'], ...overrides };
}

test('configFor records the LibTorch root, version, variant, C++ standard, defines, flags and include directories', (t) => {
  t.deepEqual(configFor(fakeTorch()), { root: '/opt/torch-2.13', version: '2.13.0', variant: 'cpu', cxxStandard: 17,
    defines: ['USE_DISTRIBUTED', 'USE_C10D_GLOO'], cxxFlags: [], includeDirs: ['/opt/torch-2.13/include'] });
  const root = tempDir('cuda-torch');
  fs.writeFileSync(path.join(root, 'version.py'), "__version__ = '2.15.0+cu132'\ncuda = '13.2'\n");
  t.is(configFor(fakeTorch({ root, cuda: true })).variant, 'cu132');
});

test('differences names each field that changed, old -> new; none for the same LibTorch', (t) => {
  const old = configFor(fakeTorch());
  t.deepEqual(differences(old, configFor(fakeTorch())), []);
  const newer = configFor(fakeTorch({ root: '/venv/torch', version: '2.15.0', cuda: true, cxxStandard: 20,
    distributedDefines: ['USE_DISTRIBUTED', 'USE_C10D_GLOO', 'USE_C10D_NCCL'], includeDirs: ['/venv/torch/include'] }));
  t.deepEqual(differences(old, newer), ['root: /opt/torch-2.13 -> /venv/torch', 'version: 2.13.0 -> 2.15.0', 'variant: cpu -> cuda',
    'cxxStandard: 17 -> 20', 'defines: [USE_DISTRIBUTED USE_C10D_GLOO] -> [USE_DISTRIBUTED USE_C10D_GLOO USE_C10D_NCCL]',
    'includeDirs: [/opt/torch-2.13/include] -> [/venv/torch/include]']);
  t.deepEqual(differences(old, configFor(fakeTorch({ cxxFlags: ['-D_GLIBCXX_USE_CXX11_ABI=0'] }))), ['cxxFlags: [] -> [-D_GLIBCXX_USE_CXX11_ABI=0]']);
  t.deepEqual(differences({ ...old, cxxStandard: undefined }, old), ['cxxStandard: (none) -> 17'], 'an older record without a field');
});

test('staleReasons: nothing to clear without a configuration; a configuration without a record is cleared', (t) => {
  const wanted = configFor(fakeTorch());
  t.deepEqual(staleReasons(null, wanted, false), []);
  t.deepEqual(staleReasons({ ...wanted, version: '2.15.0' }, wanted, false), [], 'no CMakeCache.txt: cmake-js configures anyway');
  t.deepEqual(staleReasons(wanted, wanted, true), []);
  t.deepEqual(staleReasons(null, wanted, true), ['it holds a cmake configuration without a record of the LibTorch it is for']);
  t.deepEqual(staleReasons({ ...wanted, version: '2.15.0' }, wanted, true), ['version: 2.15.0 -> 2.13.0']);
});

test('a record is read back as written; a missing or unreadable one reads as none', (t) => {
  const dir = tempDir('build-record');
  t.is(readRecord(dir), null);
  writeRecord(dir, configFor(fakeTorch()));
  t.deepEqual(readRecord(dir), configFor(fakeTorch()));
  fs.writeFileSync(path.join(dir, RECORD), '{ "root": ');
  t.is(readRecord(dir), null);
});

/** build-native.js's prepareConfiguration on a fake build directory, in a child process (it prints); its stdout. */
function prepare(buildDir: string, torch: object) {
  const script = `require(${JSON.stringify(path.join(ROOT, 'scripts', 'build-native.js'))}).prepareConfiguration(process.argv[1], JSON.parse(process.argv[2]))`;
  const r = spawnSync(process.execPath, ['-e', script, buildDir, JSON.stringify(torch)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** A build directory configured (CMakeCache.txt, CMakeFiles/, build.ninja) with an addon in Release/. */
function configuredBuild(record: object | null): string {
  const dir = tempDir('build-dir');
  for (const name of ['CMakeCache.txt', 'build.ninja']) fs.writeFileSync(path.join(dir, name), '');
  fs.mkdirSync(path.join(dir, 'CMakeFiles', 'pof_torch.dir'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'Release'));
  fs.writeFileSync(path.join(dir, 'Release', 'pof_torch.node'), '');
  if (record) writeRecord(dir, record);
  return dir;
}

test('build-native clears a build/ configured for another LibTorch, or not recorded, and says what changed', (t) => {
  const torch = fakeTorch();
  const other = configuredBuild(configFor(fakeTorch({ root: '/venv/torch', version: '2.15.0' })));
  const out = prepare(other, torch);
  t.is(out, `pof-torch: configuring ${other} from scratch for LibTorch 2.13.0 (cpu) at /opt/torch-2.13, because ` +
    'root: /venv/torch -> /opt/torch-2.13; version: 2.15.0 -> 2.13.0\n');
  t.deepEqual(fs.readdirSync(other), ['Release'], 'the configuration and the record are gone, the addon stays until rebuilt');

  const unrecorded = configuredBuild(null);
  t.regex(prepare(unrecorded, torch), /because it holds a cmake configuration without a record of the LibTorch it is for\n$/);
  t.deepEqual(fs.readdirSync(unrecorded), ['Release']);

  const same = configuredBuild(configFor(torch));
  t.is(prepare(same, torch), '', 'the same LibTorch: nothing said, nothing removed');
  t.deepEqual(fs.readdirSync(same).sort(), ['CMakeCache.txt', 'CMakeFiles', 'Release', 'build.ninja', RECORD].sort());
});
