import test from 'ava';
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as os from 'os';
import { cudaAvailable, DeviceError, devices, info, manualSeed, tensor, versions } from '../lib';
import { deviceMemory } from '../lib/memory-budget';
import { testDevice } from './helpers/synthetic';

test('versions name the LibTorch this addon was built against', (t) => {
  const v = versions();
  t.regex(v.libtorch, /^\d+\.\d+\.\d+$/);
  if (!v.builtWithCuda) {
    t.is(v.cuda, null);
    t.is(v.cudnn, null);
    t.false(v.cudaInstrumentation, 'no CUDA sync-debug or peak-memory hooks without CUDA');
  } else {
    t.regex(v.cuda ?? '', /^\d+\.\d+$/);
  }
  if (testDevice.startsWith('cuda')) {
    t.true(v.cudaInstrumentation, 'testing on CUDA needs the CUDA runtime headers compiled in, or the sync-debug check is vacuous');
  }
});

test('devices start with cpu and list one entry per CUDA device', (t) => {
  const list = devices();
  t.is(list[0], 'cpu');
  t.is(list.length > 1, cudaAvailable());
  for (const d of list.slice(1)) t.regex(d, /^cuda:\d+$/);
});

test('asking for cuda where there is none is a clear error, not a crash', (t) => {
  if (cudaAvailable()) {
    t.throws(() => tensor(new Float32Array(1), [1], { device: `cuda:${devices().length - 1 + 5}` }), {
      message: /does not exist: \d+ CUDA device\(s\) visible/,
    });
    return;
  }
  t.throws(() => tensor(new Float32Array(1), [1], { device: 'cuda' }), {
    message: /device 'cuda' was requested, but .*expected 'cpu'/,
  });
  t.throws(() => tensor(new Float32Array(1), [1], { device: 'cuda:1' }), { message: /device 'cuda:1' was requested/ });
});

test('each device says how much memory it has for the memory bounds, and a missing one is a DeviceError', (t) => {
  // CPU: the machine's memory (or the container's limit); CUDA: its free memory, or unknown (undefined) in a
  // build without the CUDA runtime headers.
  const cpu = deviceMemory('cpu')!;
  t.true(cpu > 1e8 && cpu <= os.totalmem(), `cpu: ${cpu} bytes`);
  if (cudaAvailable()) {
    const cuda = deviceMemory('cuda:0');
    t.true(cuda === undefined || cuda > 0, `cuda:0: ${cuda}`);
  } else {
    t.throws(() => deviceMemory('cuda:0'), { instanceOf: DeviceError, message: /device 'cuda:0' was requested/ });
  }
});

test('a device name that is not one is refused by name', (t) => {
  t.throws(() => tensor(new Float32Array(1), [1], { device: 'tpu' }), {
    message: /device 'tpu' is not a device name; expected 'cpu', 'cuda' or 'cuda:N'/,
  });
});

test('tensors move between every available device and keep their values', (t) => {
  const x = tensor(Float32Array.from([1, 2, 3]));
  for (const d of devices()) {
    const moved = x.to(d);
    t.is(moved.device, d);
    t.deepEqual(Array.from(moved.toArray() as Float32Array), [1, 2, 3]);
  }
});

test('manualSeed validates its argument', (t) => {
  t.notThrows(() => manualSeed(123));
  t.throws(() => manualSeed(-1), { message: /seed must be a non-negative integer, got -1/ });
});

test('`pof info` prints the JSON the README promises', (t) => {
  const cli = path.join(__dirname, '..', 'lib', 'cli.js');
  const out = JSON.parse(execFileSync(process.execPath, [cli, 'info'], { encoding: 'utf8' }));
  t.is(out.libtorch, info().libtorch);
  t.is(typeof out.cuda, 'boolean');
  t.deepEqual(out.devices, devices());
});
