// Progress on long work: a redrawn bar on a terminal, plain lines (no control characters) otherwise.
// Everything goes to stderr so that a command's result on stdout stays machine-readable.

export interface Progress {
  /** `done` of `total` units finished; `text` describes the current state (loss, speed...). */
  update(done: number, text?: string): void;
  /** A permanent line (an epoch summary), printed above the bar. */
  line(text: string): void;
  /** Clears the bar. */
  finish(): void;
}

/** `count` writes the units (done and total) in the bar, e.g. as megabytes. */
export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr,
  count: (units: number) => string = String): Progress {
  if (!stream.isTTY) {
    return { update: () => undefined, line: (text) => stream.write(`${text}\n`), finish: () => undefined };
  }
  let last = 0, shown = '';
  const width = 24;
  const clear = () => { if (shown) stream.write(`\r${' '.repeat(shown.length)}\r`); shown = ''; };
  return {
    update(done, text = '') {
      const now = Date.now();
      if (now - last < 100 && done < total) return; // at most 10 redraws a second
      last = now;
      const filled = total > 0 ? Math.round((width * Math.min(done, total)) / total) : width;
      const bar = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count(done)}/${count(total)} ${text}`;
      clear();
      shown = bar.slice(0, (stream.columns ?? 120) - 1);
      stream.write(shown);
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    finish: clear,
  };
}
