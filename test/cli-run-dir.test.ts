// Run directories: --out checked before it is created, metrics.jsonl trimmed on resume and its partial epochs
// marked, temporary files of killed writers removed, and file errors that name the file and the cause.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import * as path from 'path';
import { removeStaleTemporaries, temporaryPathFor, writeFileAtomic } from '../lib/checkpoint/atomic';
import { epochLog } from '../lib/cli/epoch-log';
import { completeEpochs, readMetrics, truncateMetrics } from '../lib/cli/metrics-log';
import { prepareOutputDir } from '../lib/cli/output-dir';
import { RunDir } from '../lib/cli/run-dir';
import { appendText } from '../lib/cli/run-log-file';
import { FileError } from '../lib/errors';
import type { EpochReport, StepReport } from '../lib/trainer';
import { tempDir } from './helpers/fixtures';
import { mountTmpfs } from './helpers/tmpfs';

/** A process id that no running process has: a child's, once it has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('--out is created with its missing parents; an existing directory is fine', (t) => {
  const root = tempDir('out-dir');
  const dir = path.join(root, 'a', 'b', 'c');
  prepareOutputDir(dir);
  t.true(existsSync(dir));
  t.notThrows(() => prepareOutputDir(dir));
});

test('an --out that cannot be a directory is a FileError naming it, at once (no endless mkdir in /proc)', (t) => {
  const root = tempDir('out-dir-bad');
  const file = path.join(root, 'file');
  writeFileSync(file, 'x');
  const cases: [string, RegExp, string][] = [
    ['/proc/pof-run', /^--out \/proc\/pof-run: cannot create \/proc\/pof-run: \/proc does not take new directories \(ENOENT\)$/, 'ENOENT'],
    ['/proc/pof-run/deeper', /^--out \/proc\/pof-run\/deeper: cannot create \/proc\/pof-run: \/proc does not take new directories/, 'ENOENT'],
    ['/sys/pof-run', /^--out \/sys\/pof-run: cannot create \/sys\/pof-run: operation not permitted \(EPERM\)$/, 'EPERM'],
    [file, /: it is a file, not a directory$/, 'ENOTDIR'],
    [path.join(file, 'run'), new RegExp(`${file} is a file, not a directory$`), 'ENOTDIR'],
    ['/dev/full/run', /\/dev\/full is a file, not a directory$/, 'ENOTDIR'],
  ];
  for (const [dir, message, code] of cases) {
    const e = t.throws(() => prepareOutputDir(dir), { instanceOf: FileError, message }, dir);
    t.is((e as FileError).syscallCode, code, dir);
    t.is((e as FileError).path, dir);
  }
});

test('a run directory refuses to overwrite a run without --force', async (t) => {
  const dir = path.join(tempDir('run-dir'), 'run');
  await new RunDir(dir).writeJson('config.json', { seed: 0 });
  t.throws(() => new RunDir(dir), { message: /already holds a run/ });
  t.notThrows(() => new RunDir(dir, { overwrite: true }));
});

test('opening a run directory removes temporary files of writers that were killed, not of live ones', (t) => {
  const dir = tempDir('run-dir-stale');
  const dead = `.checkpoint.safetensors.tmp-${deadPid()}-0123456789ab`;
  const live = `.model.safetensors.tmp-${process.pid}-0123456789ab`;
  const unrelated = '.checkpoint.safetensors.tmp-notapid';
  for (const name of [dead, live, unrelated]) writeFileSync(path.join(dir, name), 'partial');
  new RunDir(dir);
  const left = readdirSync(dir);
  t.false(left.includes(dead));
  t.true(left.includes(live));
  t.true(left.includes(unrelated));
});

test('temporary names are recognisable; an atomic write removes its target\'s stale ones only', async (t) => {
  const dir = tempDir('atomic-stale');
  const target = path.join(dir, 'model.safetensors');
  t.regex(path.basename(temporaryPathFor(target)), new RegExp(`^\\.model\\.safetensors\\.tmp-${process.pid}-[0-9a-f]{12}$`));
  const pid = deadPid();
  const own = `.model.safetensors.tmp-${pid}-aaaaaaaaaaaa`;
  const other = `.checkpoint.safetensors.tmp-${pid}-bbbbbbbbbbbb`;
  for (const name of [own, other]) writeFileSync(path.join(dir, name), 'partial');
  await writeFileAtomic(target, Buffer.from('new'));
  t.deepEqual(readdirSync(dir).sort(), [other, 'model.safetensors'].sort());
  t.deepEqual(removeStaleTemporaries(dir), [path.join(dir, other)]);
});

test('atomic write errors are FileErrors naming the target and the cause', async (t) => {
  const dir = tempDir('atomic-errors');
  const missing = path.join(dir, 'no', 'model.safetensors');
  await t.throwsAsync(writeFileAtomic(missing, Buffer.from('x')), {
    instanceOf: FileError, message: `cannot write ${missing}: the directory ${path.dirname(missing)} does not exist (ENOENT)`,
  });
  // A full disk, injected where it would strike: writing or syncing the temporary file.
  const target = path.join(dir, 'checkpoint.safetensors');
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  const e = await t.throwsAsync(writeFileAtomic(target, Buffer.from('x'), { beforeRename: () => { throw full; } }), {
    instanceOf: FileError, message: `cannot write ${target}: no space left on the device (ENOSPC)`,
  });
  t.is((e as FileError).syscallCode, 'ENOSPC');
  t.deepEqual(readdirSync(dir), [], 'no temporary file is left');
  mkdirSync(path.join(dir, 'occupied'));
  await t.throwsAsync(writeFileAtomic(path.join(dir, 'occupied'), Buffer.from('x')), { instanceOf: FileError, message: /occupied: it is a directory/ });
});

test('appending metrics to a full disk is a FileError naming metrics.jsonl', (t) => {
  const dir = tempDir('run-dir-full');
  const run = new RunDir(dir, { keepMetrics: true });
  symlinkSync('/dev/full', run.file('metrics.jsonl'));
  t.throws(() => run.appendMetrics({ epoch: 1 }), { instanceOf: FileError, message: `cannot write ${run.file('metrics.jsonl')}: no space left on the device (ENOSPC)` });
});

test('a run\'s own file that is a FIFO is a FileError naming it, not a read or append that blocks forever', async (t) => {
  const dir = tempDir('run-dir-fifo');
  const run = new RunDir(dir, { keepMetrics: true });
  for (const name of ['metrics.jsonl', 'scalars.csv', 'config.json']) execFileSync('mkfifo', [run.file(name)]);
  const fifo = (name: string, action: string) => ({ instanceOf: FileError,
    message: `the run directory: cannot ${action} ${run.file(name)}: it is a FIFO (named pipe), not a regular file (EFTYPE)` });
  t.throws(() => run.appendMetrics({ epoch: 1 }), fifo('metrics.jsonl', 'write'));
  await t.throwsAsync(run.writeJson('config.json', { seed: 0 }),
    { instanceOf: FileError, message: `cannot write ${run.file('config.json')}: it is a FIFO (named pipe), not a regular file (EFTYPE)` });
  await t.throwsAsync(truncateMetrics(run.file('metrics.jsonl'), 1), fifo('metrics.jsonl', 'read'));
  t.throws(() => run.appendScalars(epoch(1)), fifo('scalars.csv', 'write'));
  // A log linked to /dev/null is discarded, as asked: a character device is written to, never replaced.
  symlinkSync('/dev/null', run.file('null.jsonl'));
  t.notThrows(() => appendText(run.file('null.jsonl'), '{}\n'));
});

const epoch = (n: number, extra: object = {}) =>
  ({ phase: 'fit', epoch: n, epochs: 5, lr: 0.1, loss: 1, error: 50, steps: 8, stepsPerEpoch: 8, partial: false, seconds: 1, ...extra }) as EpochReport;

test('on resume, metrics after the checkpoint\'s epoch, a partial epoch and a torn last line are dropped', async (t) => {
  const file = path.join(tempDir('metrics-trim'), 'metrics.jsonl');
  const lines = [epoch(1), epoch(2), epoch(3), epoch(4, { partial: true, steps: 3, stepsPerEpoch: 8 })].map((r) => JSON.stringify(r));
  writeFileSync(file, lines.join('\n') + '\n' + '{"phase":"fit","epo');
  t.deepEqual(readMetrics(file).map((r) => r.epoch), [1, 2, 3, 4]);
  await truncateMetrics(file, 2);
  t.is(readFileSync(file, 'utf8'), lines.slice(0, 2).join('\n') + '\n');
  await truncateMetrics(file, 2);
  t.deepEqual(readMetrics(file).map((r) => r.epoch), [1, 2]);
  await t.notThrowsAsync(truncateMetrics(path.join(path.dirname(file), 'none.jsonl'), 1));
});

test('an epoch stopped midway is logged and recorded as partial with its steps, and left out of the curves', (t) => {
  const run = new RunDir(tempDir('metrics-partial'));
  const log = epochLog('test', run);
  const step = (n: number): StepReport => ({ ...epoch(1), step: n });
  const stderr = process.stderr.write;
  const lines: string[] = [];
  process.stderr.write = ((s: string) => { lines.push(s); return true; }) as typeof process.stderr.write;
  try {
    log.onStep(step(8));
    log.onEpoch(epoch(1));
    log.onEpoch(epoch(2, { steps: 3, partial: true }));
  } finally {
    process.stderr.write = stderr;
  }
  const records = readMetrics(run.file('metrics.jsonl'));
  t.like(records[0], { epoch: 1, partial: false, steps: 8, stepsPerEpoch: 8 });
  t.like(records[1], { epoch: 2, partial: true, steps: 3, stepsPerEpoch: 8 });
  t.regex(lines.join(''), /fit epoch 2\/5, .*stopped after 3 of 8 steps/);
  t.deepEqual(completeEpochs(records).map((r) => r.epoch), [1]);
});

const smallDisk = mountTmpfs('run-dir-small-disk', { size: '64k' });
const diskTest = smallDisk ? test : test.skip; // mounting needs root

diskTest('a full disk leaves the run\'s JSON files as they were, never truncated (written atomically)', async (t) => {
  const run = new RunDir(path.join(smallDisk!, 'run'));
  await run.writeJson('config.json', { first: true });
  try {
    writeFileSync(path.join(smallDisk!, 'filler'), Buffer.alloc(64 * 1024));
  } catch (error) {
    t.is((error as NodeJS.ErrnoException).code, 'ENOSPC'); // filled to the last block
  }
  await t.throwsAsync(run.writeJson('config.json', { big: 'x'.repeat(32 * 1024) }),
    { instanceOf: FileError, message: `cannot write ${run.file('config.json')}: no space left on the device (ENOSPC)` });
  t.deepEqual(JSON.parse(readFileSync(run.file('config.json'), 'utf8')), { first: true });
  await t.throwsAsync(run.writeJson('final.json', { big: 'x'.repeat(32 * 1024) }), { instanceOf: FileError, message: /ENOSPC/ });
  t.false(existsSync(run.file('final.json')));
  t.deepEqual(readdirSync(run.dir).filter((name) => name.startsWith('.')), [], 'no temporary file is left');
});
