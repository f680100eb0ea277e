// The exit code and the one line the `pof` command ends with, for each kind of error.
import test from 'ava';
import { failure } from '../lib/cli/exit-code';
import { UsageError } from '../lib/cli/args';
import {
  BusyError, CheckpointError, DatasetError, DeviceError, fileError, NonFiniteError, OptionError, PoFError,
} from '../lib/errors';

const errno = (code: string, syscall: string, path?: string) =>
  Object.assign(new Error(`${code}: something, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, ...(path ? { path } : {}) });

test('a user mistake is exit code 2; a failure while running is 1', (t) => {
  const cases: [unknown, number][] = [
    [new UsageError('--epochs must be an integer'), 2],
    [new OptionError('x'), 2],
    [new DatasetError('x'), 2],
    [new CheckpointError('x'), 2],
    [new DeviceError('x'), 2],
    [new BusyError('x'), 2],
    [fileError('read', '/nope', errno('ENOENT', 'open', '/nope')), 2],
    [fileError('read', '/dir', errno('EISDIR', 'read')), 2],
    [fileError('create', '/ro/x', errno('EROFS', 'mkdir', '/ro/x')), 2],
    [new NonFiniteError('loss is NaN at step 3'), 1],
    [fileError('write', '/x/model.safetensors', errno('ENOSPC', 'write')), 1],
    [fileError('write', '/x/model.safetensors', errno('EIO', 'write')), 1],
    [new PoFError('internal'), 1],
    [new TypeError('a bug'), 1],
    ['a string', 1],
  ];
  for (const [error, code] of cases) t.is(failure(error).exitCode, code, String(error));
});

test('the line starts with "pof:", is one line, and an errno error that escaped names its path in words', (t) => {
  t.is(failure(new OptionError('first\n  second\nthird')).line, 'pof: first; second; third');
  t.is(failure(new UsageError('usage: pof reproduce <toy|table1> [options]')).line, 'usage: pof reproduce <toy|table1> [options]');
  const escaped = failure(errno('EACCES', 'open', '/runs/table1.json'));
  t.is(escaped.line, 'pof: cannot open /runs/table1.json: permission denied (EACCES)');
  t.is(escaped.exitCode, 2);
});
