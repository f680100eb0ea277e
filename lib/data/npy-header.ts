// The header of a .npy file: the Python dict literal numpy writes,
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and ended by a newline. It is parsed here as exactly that grammar (quoted strings, True,
// False, tuples of integers), never evaluated: anything else is refused with where it went wrong.
import type { DatasetError } from '../errors';

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

type Value = string | boolean | number[];

const KEYS = ['descr', 'fortran_order', 'shape'];

export function parseNpyHeader(text: string, error: (what: string) => DatasetError): NpyHeader {
  let at = 0;
  const fail = (what: string): never => {
    const shown = text.length > 200 ? `${text.slice(0, 200)}...` : text.trimEnd();
    throw error(`the .npy header is not NumPy's {'descr': ..., 'fortran_order': ..., 'shape': (...)}: ${what} ` +
      `at character ${at} of ${JSON.stringify(shown)}`);
  };
  const spaces = () => { while (text[at] === ' ') at += 1; };
  const expect = (c: string) => {
    spaces();
    if (text[at] !== c) fail(`expected '${c}'`);
    at += 1;
  };
  const string = (): string => {
    const quote = text[at];
    const end = text.indexOf(quote, at + 1);
    if (end < 0) fail('an unterminated string');
    const s = text.slice(at + 1, end);
    if (s.includes('\\')) fail('an escape in a string');
    at = end + 1;
    return s;
  };
  const integer = (): number => {
    const digits = /^\d+/.exec(text.slice(at, at + 20))?.[0];
    if (!digits) fail('expected a non-negative integer');
    const n = Number(digits);
    if (!Number.isSafeInteger(n)) fail(`the integer ${digits} is too large`);
    at += digits!.length;
    return n;
  };
  const tuple = (): number[] => {
    at += 1;
    const items: number[] = [];
    for (spaces(); text[at] !== ')'; spaces()) {
      items.push(integer());
      spaces();
      if (text[at] === ',') at += 1;
      else if (text[at] !== ')' || items.length === 1) fail("expected ',' in the shape tuple");  // (3) is not a tuple
    }
    at += 1;
    return items;
  };
  const value = (): Value => {
    spaces();
    const c = text[at];
    if (c === "'" || c === '"') return string();
    if (c === '(') return tuple();
    if (c === '[') fail('a list (a structured dtype, which is not supported)');
    for (const [word, v] of [['True', true], ['False', false]] as const) {
      if (text.startsWith(word, at)) { at += word.length; return v; }
    }
    return fail('expected a string, True, False or a tuple');
  };

  const entries = new Map<string, Value>();
  expect('{');
  for (spaces(); text[at] !== '}'; spaces()) {
    if (text[at] !== "'" && text[at] !== '"') fail('expected a quoted key');
    const key = string();
    if (!KEYS.includes(key)) fail(`unexpected key '${key}'`);
    if (entries.has(key)) fail(`key '${key}' given twice`);
    expect(':');
    entries.set(key, value());
    spaces();
    if (text[at] === ',') at += 1;
    else if (text[at] !== '}') fail("expected ',' or '}'");
  }
  at += 1;
  if (!/^ *\n?$/.test(text.slice(at))) fail("expected only spaces and a newline after '}'");
  for (const key of KEYS) if (!entries.has(key)) fail(`the key '${key}' is missing`);
  const [descr, fortranOrder, shape] = KEYS.map((k) => entries.get(k));
  if (typeof descr !== 'string') fail(`'descr' must be a string, got ${JSON.stringify(descr)}`);
  if (typeof fortranOrder !== 'boolean') fail(`'fortran_order' must be True or False, got ${JSON.stringify(fortranOrder)}`);
  if (!Array.isArray(shape)) fail(`'shape' must be a tuple of integers, got ${JSON.stringify(shape)}`);
  return { descr: descr as string, fortranOrder: fortranOrder as boolean, shape: shape as number[] };
}
