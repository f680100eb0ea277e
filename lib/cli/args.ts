// Command-line flags: declared once per command, parsed strictly, and described by the command's --help.
import { parseArgs } from 'util';
import { beyondLimit, NumberRule } from '../defaults';
import { OptionError } from '../errors';

/** A mistake in how the command was called: printed as one line, exit code 2 (an OptionError: ERR_POF_OPTION). */
export class UsageError extends OptionError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Flag {
  type: 'string' | 'boolean';
  /** What the value means, for --help. */
  help: string;
  /** Shown in --help; the command applies it. */
  default?: string;
  required?: boolean;
}

/** The one argument without a flag a command may take (`pof download cifar10`). */
export interface Positional {
  /** Shown as <name> in --help; its value is flags[name]. */
  name: string;
  help: string;
}

export interface Command {
  name: string;
  /** One line for `pof --help`. */
  brief: string;
  /** The paragraph of `pof <name> --help`. */
  summary: string;
  flags: Record<string, Flag>;
  /** Required arguments without a flag, in order; commands without one refuse any. */
  positional?: Positional | Positional[];
  /** Runs as one rank of a data-parallel job under torchrun (cli/job.ts); other commands refuse to. */
  dataParallel?: boolean;
  run(flags: Flags): Promise<void>;
}

export type Flags = Record<string, string | boolean | undefined>;

export function helpText(command: Command): string {
  const lines = Object.entries(command.flags).map(([name, f]) => {
    const left = `  --${name}${f.type === 'string' ? ' VALUE' : ''}`;
    const extra = f.required ? ' (required)' : f.default !== undefined ? ` (default ${f.default})` : '';
    return `${left.padEnd(28)} ${f.help}${extra}`;
  });
  const positionals = [command.positional ?? []].flat();
  const argument = positionals.length > 0 ? ['arguments:', ...positionals.map((p) => `${`  <${p.name}>`.padEnd(28)} ${p.help}`), ''] : [];
  return [`usage: pof ${command.name}${positionals.map((p) => ` <${p.name}>`).join('')} [options]`, '', command.summary, '',
    ...argument, 'options:', ...lines, '  --help                     this text'].join('\n');
}

/** The command's flags from `args`; unknown, repeated or empty flags, stray arguments and missing required flags are UsageErrors. */
export function parseFlags(command: Command, args: string[]): Flags | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const options = Object.fromEntries(Object.entries(command.flags).map(([name, f]) => [name, { type: f.type }]));
  let tokens: { kind: string; name?: string; value?: string }[];
  try {
    tokens = parseArgs({ args: joinNegativeValues(command, args), options, strict: true, allowPositionals: command.positional !== undefined, tokens: true }).tokens;
  } catch (e) {
    throw new UsageError(`${command.name}: ${(e as Error).message.replace(/\. To specify.*$/s, '')} (see pof ${command.name} --help)`);
  }
  const values: Flags = {};
  const positionals = tokens.filter((token) => token.kind === 'positional').map((token) => token.value!);
  const wanted = [command.positional ?? []].flat();
  if (wanted.length > 0) {
    const missing = wanted.slice(positionals.length).map((p) => `<${p.name}>`);
    if (missing.length > 0) throw new UsageError(`${command.name} needs ${missing.join(' and ')} (see pof ${command.name} --help)`);
    if (positionals.length > wanted.length) {
      throw new UsageError(`${command.name}: Unexpected argument '${positionals[wanted.length]}' (see pof ${command.name} --help)`);
    }
    wanted.forEach((p, i) => { values[p.name] = positionals[i]; });
  }
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const name = token.name;
    // parseArgs keeps the last of repeated flags: a silent override is more likely a mistake than intended.
    if (values[name] !== undefined) throw new UsageError(`--${name} is given twice (see pof ${command.name} --help)`);
    if (command.flags[name].type === 'string' && token.value === '') throw new UsageError(`--${name} needs a value, got ''`);
    values[name] = command.flags[name].type === 'string' ? token.value : true;
  }
  for (const [name, f] of Object.entries(command.flags)) {
    if (f.required && values[name] === undefined) throw new UsageError(`${command.name} needs --${name} (see pof ${command.name} --help)`);
  }
  return values;
}

/**
 * `--epochs -3` as `--epochs=-3`: parseArgs reads a value starting with '-' as another flag and calls it
 * ambiguous; joined, the value reaches the number check, which says what is wrong with it.
 */
function joinNegativeValues(command: Command, args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i].startsWith('--') ? command.flags[args[i].slice(2)] : undefined;
    if (flag?.type === 'string' && i + 1 < args.length && /^-[\d.]/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i += 1;
    } else out.push(args[i]);
  }
  return out;
}

export function stringFlag(flags: Flags, name: string, fallback: string): string;
export function stringFlag(flags: Flags, name: string): string | undefined;
export function stringFlag(flags: Flags, name: string, fallback?: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : fallback;
}

// Plain decimal forms only: Number() would also take '0x10', '1e0' for an integer, '' (0) and 'Infinity'.
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;


/** A number written out in decimal (an integer: digits only), finite, and within the bounds of `check`. */
export function parseNumber(name: string, raw: string, check: NumberRule = {}): number {
  const { min, above, max } = check;
  const bounds = [min !== undefined && `>= ${min}`, above !== undefined && `> ${above}`, max !== undefined && `<= ${max}`].filter(Boolean);
  const kind = check.integer ? 'an integer' : 'a number';
  const expected = `${kind}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
  const value = Number(raw);
  if (!(check.integer ? INTEGER : DECIMAL).test(raw.trim()) || !Number.isFinite(value) || (check.integer && !Number.isSafeInteger(value))) {
    throw new UsageError(`--${name} must be ${kind}, got '${raw}'`);
  }
  if ((min !== undefined && value < min) || (above !== undefined && value <= above) || (max !== undefined && value > max)) {
    throw new UsageError(`--${name} must be ${expected}, got ${raw.trim()}`);
  }
  const beyond = beyondLimit(`--${name}`, value, check);
  if (beyond) throw new UsageError(beyond);
  return value;
}

/** A numeric flag, or `fallback` when it is left out. */
export function numberFlag(flags: Flags, name: string, fallback: number, check: NumberRule = {}): number {
  const raw = flags[name];
  return typeof raw === 'string' ? parseNumber(name, raw, check) : fallback;
}

/** A numeric flag that may be left out (undefined then: the callee's default applies). */
export function optionalNumberFlag(flags: Flags, name: string, check: NumberRule = {}): number | undefined {
  const raw = flags[name];
  return typeof raw === 'string' ? parseNumber(name, raw, check) : undefined;
}

export function choiceFlag<T extends string>(flags: Flags, name: string, fallback: T, choices: readonly T[]): T {
  const v = stringFlag(flags, name, fallback);
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
}

/** '60,120,160' -> [60, 120, 160]: decimal integers >= `min`, each larger than the one before. */
export function increasingIntegersFlag(flags: Flags, name: string, fallback: number[], min = 0): number[] {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return fallback;
  const parts = raw.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((s, i) => !/^\d+$/.test(s) || !Number.isSafeInteger(values[i]) || values[i] < min || (i > 0 && values[i] <= values[i - 1]))) {
    throw new UsageError(`--${name} must be comma-separated increasing integers >= ${min}, got '${raw}'`);
  }
  return values;
}
