// How the CLI reads its flags: numbers in plain decimal only, negative values reaching the number check,
// no repeated or empty flags; each refusal an OptionError (exit code 2) naming the flag and the value.
import test from 'ava';
import { Command, increasingIntegersFlag, numberFlag, parseFlags, parseNumber } from '../lib/cli/args';
import { OptionError } from '../lib/errors';

const command: Command = {
  name: 'demo', brief: '', summary: '', run: async () => undefined,
  flags: { epochs: { type: 'string', help: '' }, lr: { type: 'string', help: '' }, out: { type: 'string', help: '', required: true }, force: { type: 'boolean', help: '' } },
};

test('integers are decimal digits only', (t) => {
  t.is(parseNumber('epochs', '12', { integer: true, min: 1 }), 12);
  t.is(parseNumber('epochs', '007', { integer: true }), 7);
  for (const raw of ['0x2', '1e0', '1.0', '1.5', '', ' ', '+3', 'Infinity', '1_000', '2 3', '9007199254740993']) {
    const e = t.throws(() => parseNumber('epochs', raw, { integer: true, min: 1 }), { instanceOf: OptionError }, raw);
    t.is(e?.message, `--epochs must be an integer, got '${raw}'`);
  }
});

test('numbers are plain decimal or exponent forms; finite', (t) => {
  for (const [raw, value] of [['0.1', 0.1], ['5e-4', 5e-4], ['1E3', 1000], ['.5', 0.5], ['3.', 3], ['2', 2]] as const) {
    t.is(parseNumber('lr', raw, { min: 0 }), value, raw);
  }
  for (const raw of ['0x10', '0b1', '0o7', '', 'Infinity', '-Infinity', 'NaN', '1e', 'e3', '1e400', '1,5', '--1']) {
    t.throws(() => parseNumber('lr', raw, { min: 0 }), { instanceOf: OptionError, message: `--lr must be a number, got '${raw}'` }, raw);
  }
});

test('a value below the minimum names the bound and the value', (t) => {
  t.throws(() => parseNumber('epochs', '-3', { integer: true, min: 0 }), { message: '--epochs must be an integer >= 0, got -3' });
  t.throws(() => parseNumber('lr', '-1', { min: 0 }), { message: '--lr must be a number >= 0, got -1' });
  t.is(parseNumber('gamma', '0', { min: 0 }), 0);
});

test('--flag -3 is the value -3, refused by the number check in one line, not an "ambiguous" option', (t) => {
  const flags = parseFlags(command, ['--epochs', '-3', '--lr', '-.5', '--out', 'x']);
  t.not(flags, 'help');
  if (flags === 'help') return;
  t.is(flags.epochs, '-3');
  t.is(flags.lr, '-.5');
  t.throws(() => numberFlag(flags, 'epochs', 1, { integer: true, min: 0 }), { message: '--epochs must be an integer >= 0, got -3' });
  t.throws(() => numberFlag(flags, 'lr', 1, { min: 0 }), { message: '--lr must be a number >= 0, got -.5' });
  // Another flag after a string flag is still a missing value, not a value.
  t.throws(() => parseFlags(command, ['--epochs', '--lr', '1', '--out', 'x']), { instanceOf: OptionError, message: /--epochs/ });
});

test('repeated, empty and unknown flags, stray arguments and missing required flags are refused', (t) => {
  const cases: [string[], RegExp][] = [
    [['--epochs', '2', '--epochs', '3', '--out', 'x'], /^--epochs is given twice/],
    [['--force', '--force', '--out', 'x'], /^--force is given twice/],
    [['--epochs=', '--out', 'x'], /^--epochs needs a value, got ''$/],
    [['--out', ''], /^--out needs a value, got ''$/],
    [['--out', 'x', '--bogus'], /^demo: Unknown option '--bogus'/],
    [['--out', 'x', 'stray'], /^demo: Unexpected argument 'stray'/],
    [['--force=yes', '--out', 'x'], /^demo: Option '--force' does not take an argument/],
    [['--epochs', '2'], /^demo needs --out/],
  ];
  for (const [args, message] of cases) t.throws(() => parseFlags(command, args), { instanceOf: OptionError, message }, args.join(' '));
});

test('integer lists take comma-separated increasing decimal integers only', (t) => {
  t.deepEqual(increasingIntegersFlag({ m: '60, 120,160' }, 'm', [], 1), [60, 120, 160]);
  t.deepEqual(increasingIntegersFlag({ m: '0' }, 'm', []), [0]);
  t.deepEqual(increasingIntegersFlag({}, 'm', [1]), [1]);
  for (const raw of ['1e1', '1,,2', ',', '0x3', '1.5', '-1', 'a', '0,5', '5,3', '2,2']) {
    t.throws(() => increasingIntegersFlag({ m: raw }, 'm', [], 1), { instanceOf: OptionError, message: `--m must be comma-separated increasing integers >= 1, got '${raw}'` }, raw);
  }
});

test('bounds: exclusive lower and upper ones are named too', (t) => {
  t.throws(() => parseNumber('lr-factor', '0', { above: 0 }), { message: '--lr-factor must be a number > 0, got 0' });
  t.is(parseNumber('lr-factor', '0.2', { above: 0 }), 0.2);
  t.throws(() => parseNumber('momentum', '1.5', { min: 0, max: 1 }), { message: '--momentum must be a number >= 0 and <= 1, got 1.5' });
  t.is(parseNumber('momentum', '1', { min: 0, max: 1 }), 1);
});
