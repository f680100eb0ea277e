// Command-line flags: declared once per command, parsed strictly, and described by the command's --help.
import { parseArgs } from 'util';
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

export interface Command {
  name: string;
  /** One line for `pof --help`. */
  brief: string;
  /** The paragraph of `pof <name> --help`. */
  summary: string;
  flags: Record<string, Flag>;
  run(flags: Flags): Promise<void>;
}

export type Flags = Record<string, string | boolean | undefined>;

export function helpText(command: Command): string {
  const lines = Object.entries(command.flags).map(([name, f]) => {
    const left = `  --${name}${f.type === 'string' ? ' VALUE' : ''}`;
    const extra = f.required ? ' (required)' : f.default !== undefined ? ` (default ${f.default})` : '';
    return `${left.padEnd(28)} ${f.help}${extra}`;
  });
  return [`usage: pof ${command.name} [options]`, '', command.summary, '', 'options:', ...lines, '  --help                     this text'].join('\n');
}

/** The command's flags from `args`; unknown flags, stray arguments and missing required flags are UsageErrors. */
export function parseFlags(command: Command, args: string[]): Flags | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const options = Object.fromEntries(Object.entries(command.flags).map(([name, f]) => [name, { type: f.type }]));
  let values: Flags;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Flags;
  } catch (e) {
    throw new UsageError(`${command.name}: ${(e as Error).message.replace(/\. To specify.*$/s, '')} (see pof ${command.name} --help)`);
  }
  for (const [name, f] of Object.entries(command.flags)) {
    if (f.required && values[name] === undefined) throw new UsageError(`${command.name} needs --${name} (see pof ${command.name} --help)`);
  }
  return values;
}

export function stringFlag(flags: Flags, name: string, fallback: string): string;
export function stringFlag(flags: Flags, name: string): string | undefined;
export function stringFlag(flags: Flags, name: string, fallback?: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : fallback;
}

/** A numeric flag: finite, optionally an integer and at least `min`. */
export function numberFlag(flags: Flags, name: string, fallback: number, check: { integer?: boolean; min?: number } = {}): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = check.integer ? 'an integer' : 'a number';
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || (check.integer && !Number.isSafeInteger(value))) {
    throw new UsageError(`--${name} must be ${kind}, got '${String(raw)}'`);
  }
  if (check.min !== undefined && value < check.min) throw new UsageError(`--${name} must be ${kind} >= ${check.min}, got ${value}`);
  return value;
}

/** A numeric flag that may be left out (undefined then: the callee's default applies). */
export function optionalNumberFlag(flags: Flags, name: string, check: { integer?: boolean; min?: number } = {}): number | undefined {
  return flags[name] === undefined ? undefined : numberFlag(flags, name, 0, check);
}

export function choiceFlag<T extends string>(flags: Flags, name: string, fallback: T, choices: readonly T[]): T {
  const v = stringFlag(flags, name, fallback);
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
}

/** '60,120,160' -> [60, 120, 160] */
export function integerListFlag(flags: Flags, name: string, fallback: number[]): number[] {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return fallback;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new UsageError(`--${name} must be comma-separated integers, got '${raw}'`);
  return values;
}
