// Fetching one file over HTTP(S) into a partial file that survives an interruption: the next attempt
// (in this run or a later one) asks for the rest with a Range request, and starts over when the server
// answers with the whole file instead. Redirects are followed (a bounded number), a connection that sends
// nothing for a while is given up, and a body longer or shorter than the file's known size is an error.
// Checking what the bytes hash to is the caller's: this only gets them.
import { createWriteStream, promises as fs } from 'fs';
import * as http from 'http';
import * as https from 'https';
import { once } from 'events';
import { finished } from 'stream/promises';
import { DownloadError, fileError } from '../errors';

export interface FetchOptions {
  /** Give up on a connection that sends nothing for this long (ms). */
  stallTimeoutMs: number;
  maxRedirects: number;
  /** Attempts after the first one for a broken connection or a 5xx answer, each resuming the partial file. */
  retries: number;
  retryDelayMs: number;
  /** Bytes of the file in the partial file so far; `resumedFrom` is where this attempt's body started. */
  onProgress?: (done: number, total: number, resumedFrom: number) => void;
  log?: (line: string) => void;
}

export interface FetchTarget {
  url: string;
  /** Where the bytes accumulate; complete when it holds `bytes` bytes. */
  partial: string;
  bytes: number;
}

/** A failure another attempt may get past: a broken or stalled connection, a server error (5xx). */
class TransientError extends DownloadError {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Makes `target.partial` hold the `target.bytes` bytes at `target.url`, resuming what an earlier attempt left. */
export async function fetchToPartial(target: FetchTarget, options: FetchOptions): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await fetchRest(target, options, true);
      return;
    } catch (error) {
      if (!(error instanceof TransientError) || attempt >= options.retries) throw error;
      options.log?.(`${error.message}; trying again (${attempt + 1} of ${options.retries})`);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
    }
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw fileError('read', file, error);
  }
}

async function remove(file: string): Promise<void> {
  try {
    await fs.rm(file, { force: true });
  } catch (error) {
    throw fileError('remove', file, error);
  }
}

/** One request for what the partial file lacks (all of it when `resume` is false or nothing is there yet). */
async function fetchRest(target: FetchTarget, options: FetchOptions, resume: boolean): Promise<void> {
  const { url, partial, bytes } = target;
  let have = await sizeOf(partial);
  if (have > bytes || !resume) {
    await remove(partial); // longer than the file can be: not a prefix of it
    have = 0;
  }
  if (have === bytes) return;
  const answer = await get(url, have > 0 ? { Range: `bytes=${have}-` } : {}, options);
  const { response, finalUrl } = answer;
  const status = response.statusCode ?? 0;
  const startOver = async (why: string) => {
    response.destroy();
    options.log?.(`${finalUrl}: ${why}; downloading it from the start`);
    await fetchRest(target, options, false);
  };
  if (status === 416 && have > 0) return startOver('the server refused the range request (HTTP 416)');
  if (status === 206) {
    const range = parseContentRange(response.headers['content-range']);
    if (range?.total !== undefined && range.total !== bytes) throw wrongSize(response, finalUrl, range.total, bytes);
    if (range?.start !== have) return startOver(`the server sent bytes ${response.headers['content-range'] ?? '(no Content-Range)'} for a request from byte ${have}`);
  } else if (status === 200) {
    const length = response.headers['content-length'];
    if (length !== undefined && Number(length) !== bytes) throw wrongSize(response, finalUrl, Number(length), bytes);
    if (have > 0) options.log?.(`${finalUrl}: the server ignores range requests; downloading it from the start`);
    have = 0;
  } else {
    response.resume();
    const message = `${finalUrl}: the server answered HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`;
    throw status >= 500 ? new TransientError(message) : new DownloadError(message);
  }
  await writeBody(answer, partial, have, bytes, options);
}

function wrongSize(response: http.IncomingMessage, url: string, offered: number, bytes: number): DownloadError {
  response.destroy();
  return new DownloadError(`${url}: the server offers ${offered} bytes, but the file is ${bytes} bytes; is the mirror serving another file?`);
}

/** `bytes START-END/TOTAL` (TOTAL may be '*'); undefined when the header is missing or malformed. */
function parseContentRange(header: string | undefined): { start: number; total?: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/**
 * Appends the body (from byte `offset` of the file) to the partial file, no more than the file's `bytes`.
 * When the connection breaks, what came is still written out before the error, so that it is resumed.
 */
async function writeBody(answer: Answer, partial: string, offset: number, bytes: number, options: FetchOptions): Promise<void> {
  const { response, finalUrl: url } = answer;
  let done = offset;
  let tooLong = false;
  let diskError: unknown;
  let networkError: unknown;
  const file = createWriteStream(partial, { flags: offset === 0 ? 'w' : 'a' });
  file.on('error', (error) => {
    diskError ??= error;
    response.destroy();
  });
  options.onProgress?.(done, bytes, offset);
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (done + chunk.length > bytes) {
        tooLong = true;
        break;
      }
      done += chunk.length;
      if (!file.write(chunk)) await once(file, 'drain');
      options.onProgress?.(done, bytes, offset);
    }
  } catch (error) {
    networkError = error;
  }
  try {
    file.end();
    await finished(file);
  } catch (error) {
    diskError ??= error;
  }
  if (diskError !== undefined) throw fileError('write', partial, diskError);
  if (tooLong) throw new DownloadError(`${url}: the server sends more than the file's ${bytes} bytes; is the mirror serving another file?`);
  if (networkError !== undefined) {
    throw new TransientError(`${url}: ${answer.stalled() ?? `the connection broke (${describe(networkError)})`} after ${done} of ${bytes} bytes; ` +
      'run the download again to resume it');
  }
  if (done < bytes) {
    throw new TransientError(`${url}: the connection closed after ${done} of ${bytes} bytes; run the download again to resume it`);
  }
}

/** An error's message, with its errno code when the message does not say it. */
function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const message = String(e?.message ?? error);
  return e?.code && !message.includes(e.code) ? `${message}, ${e.code}` : message;
}

interface Answer {
  response: http.IncomingMessage;
  finalUrl: string;
  /** Why the connection was given up, once it stalled. */
  stalled(): string | undefined;
}

/** GET `url`, following redirects; the answer that is not a redirect. */
async function get(url: string, headers: Record<string, string>, options: FetchOptions): Promise<Answer> {
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    const answer = await request(current, headers, options);
    const location = answer.response.headers.location;
    if (!REDIRECTS.has(answer.response.statusCode ?? 0) || location === undefined) return answer;
    answer.response.resume();
    if (redirects >= options.maxRedirects) throw new DownloadError(`${url}: more than ${options.maxRedirects} redirects (the last to ${location})`);
    current = new URL(location, current).toString();
  }
}

function request(url: string, headers: Record<string, string>, options: FetchOptions): Promise<Answer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new DownloadError(`'${url}' is not a URL`));
  }
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new DownloadError(`${url}: only http and https URLs can be downloaded`));
  return new Promise((resolve, reject) => {
    let stalled: string | undefined;
    // No keep-alive agent: an idle pooled socket would keep the process alive after the last file.
    const req = client.get(parsed, { headers: { 'User-Agent': 'pof-torch', ...headers }, agent: false },
      (response) => resolve({ response, finalUrl: url, stalled: () => stalled }));
    // The socket's idle timeout: it covers connecting, waiting for the answer and every pause in the body.
    req.setTimeout(options.stallTimeoutMs, () => {
      stalled = `no data from ${parsed.host} for ${options.stallTimeoutMs / 1000} s`;
      req.destroy(new Error(stalled));
    });
    // After the answer has come, a broken connection surfaces on the response (writeBody) instead.
    req.on('error', (error) => reject(new TransientError(`${url}: ${stalled ?? `cannot reach ${parsed.host} (${describe(error)})`}`)));
  });
}
