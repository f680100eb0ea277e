// JSON.parse keeps the last of two equal keys in an object and says nothing. In a file header that
// hides a conflict (two tensors of the same name), so headers are scanned for the first duplicate.

export interface DuplicateKey {
  /** The keys of the enclosing objects, outermost first ([] for a top-level key). */
  path: string[];
  key: string;
}

interface Frame {
  isObject: boolean;
  keys: Set<string>;
  /** The key whose value is being read (objects) — the frame's name for nested frames. */
  current?: string;
  expectingKey: boolean;
}

/** The first duplicate key in `json`, which must be valid JSON (JSON.parse has accepted it). */
export function findDuplicateKey(json: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < json.length; i += 1) {
    const c = json.charCodeAt(i);
    if (c === 0x22) { // '"': a string; escapes skip the character after the backslash
      let end = i + 1;
      while (json.charCodeAt(end) !== 0x22) end += json.charCodeAt(end) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.isObject && top.expectingKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { path: stack.slice(0, -1).map((f) => f.current ?? '[]'), key };
        top.keys.add(key);
        top.current = key;
        top.expectingKey = false;
      }
      i = end;
    } else if (c === 0x7b) { // '{'
      stack.push({ isObject: true, keys: new Set(), expectingKey: true });
    } else if (c === 0x5b) { // '['
      stack.push({ isObject: false, keys: new Set(), expectingKey: false });
    } else if (c === 0x7d || c === 0x5d) { // '}' ']'
      stack.pop();
    } else if (c === 0x2c) { // ','
      const top = stack[stack.length - 1];
      if (top?.isObject) top.expectingKey = true;
    }
  }
  return undefined;
}
