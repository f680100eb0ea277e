import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../lib/checkpoint/atomic';
import type { FileError } from '../lib/errors';
import { encodeSafetensors, loadSafetensors } from '../lib/checkpoint/safetensors';
import { TensorData } from '../lib/checkpoint/tensor-data';
import { tempDir } from './helpers/fixtures';

const weights = (value: number): Record<string, TensorData> => ({ w: { dtype: 'F32', shape: [3], data: new Float32Array(3).fill(value) } });

test('writes chunks in order and replaces an existing file', async (t) => {
  const dir = tempDir('atomic');
  const file = path.join(dir, 'out.bin');
  writeFileSync(file, 'old contents that are longer');
  await writeFileAtomic(file, [Buffer.from('ab'), new Uint8Array([0x63]), Buffer.alloc(0), Buffer.from('d')]);
  t.is(readFileSync(file, 'utf8'), 'abcd');
  await writeFileAtomic(file, Buffer.from('single'));
  t.is(readFileSync(file, 'utf8'), 'single');
  t.deepEqual(readdirSync(dir), ['out.bin']);
});

test('a failure between write and rename keeps the previous checkpoint loadable and leaves no temp file', async (t) => {
  const dir = tempDir('atomic-fail');
  const file = path.join(dir, 'model.safetensors');
  await writeFileAtomic(file, encodeSafetensors(weights(1), { epoch: '1' }));
  let tempSeen = '';
  await t.throwsAsync(writeFileAtomic(file, encodeSafetensors(weights(2), { epoch: '2' }), {
    beforeRename: (temp) => {
      tempSeen = temp;
      // The new bytes are complete on disk at this point: only the rename is missing.
      t.true(existsSync(temp));
      t.is(path.dirname(temp), dir);
      throw new Error('simulated crash before rename');
    },
  }), { message: 'simulated crash before rename' });
  t.false(existsSync(tempSeen));
  t.deepEqual(readdirSync(dir), ['model.safetensors']);
  const loaded = await loadSafetensors(file);
  t.deepEqual(loaded.metadata, { epoch: '1' });
  t.deepEqual(Array.from(loaded.tensors.w.data as Float32Array), [1, 1, 1]);
});

test('an asynchronous hook failure also cleans up; a later write succeeds', async (t) => {
  const dir = tempDir('atomic-async');
  const file = path.join(dir, 'model.safetensors');
  await writeFileAtomic(file, encodeSafetensors(weights(1)));
  await t.throwsAsync(writeFileAtomic(file, encodeSafetensors(weights(2)), {
    beforeRename: async () => { await new Promise((resolve) => setTimeout(resolve, 5)); throw new Error('disk gone'); },
  }), { message: 'disk gone' });
  t.deepEqual(readdirSync(dir), ['model.safetensors']);
  await writeFileAtomic(file, encodeSafetensors(weights(3)));
  t.deepEqual(Array.from((await loadSafetensors(file)).tensors.w.data as Float32Array), [3, 3, 3]);
  t.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('a write into a missing directory fails and creates nothing', async (t) => {
  const dir = tempDir('atomic-missing');
  const e = await t.throwsAsync(writeFileAtomic(path.join(dir, 'no', 'such', 'file.bin'), Buffer.from('x')), { code: 'ERR_POF_IO' });
  t.is((e as FileError).syscallCode, 'ENOENT');
  t.deepEqual(readdirSync(dir), []);
});

test('when the rename itself fails (target is a directory), the temp file is removed', async (t) => {
  const dir = tempDir('atomic-rename');
  const target = path.join(dir, 'occupied');
  mkdirSync(path.join(target, 'child'), { recursive: true });
  await t.throwsAsync(writeFileAtomic(target, Buffer.from('x')));
  t.deepEqual(readdirSync(dir), ['occupied']);
});
