// `pof download` and datasets.download against a local HTTP server on 127.0.0.1 serving small fixtures
// under the official file names: a test catalogue is the official one with the fixtures' checksums and
// sizes, so that every reader loading what was downloaded proves the official names are the ones it
// reads. Servers that ignore Range, drop the connection midway, stall, redirect or send corrupt bytes
// are simulated; no test reaches the internet.
import test from 'ava';
import { createHash } from 'crypto';
import { execFileSync } from 'child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { cifar10, cifar100 } from '../lib/data/cifar';
import { fashionMnist, mnist } from '../lib/data/mnist';
import { svhn } from '../lib/data/svhn';
import { Catalogue, DOWNLOADABLE_DATASETS, DownloadableDataset, OFFICIAL_CATALOGUE, RemoteFile } from '../lib/download/catalogue';
import { downloadDataset, DownloadOptions, partialPathFor } from '../lib/download/download-dataset';
import { extractTarGz, TarMember } from '../lib/download/tar';
import { DatasetError, DownloadError, FileError, PoFError } from '../lib/errors';
import { FileServer, Route } from './helpers/file-server';
import { patternImages, tempDir } from './helpers/fixtures';
import { nchwToColumnMajor, writeMat } from './helpers/matwriter';
import { pof } from './helpers/pof-cli';
import { paxPath, tar } from './helpers/tar-writer';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

// ---- fixtures under the official names -------------------------------------------------------------

/** CIFAR binary records: label bytes, then 3072 CHW pixels per image. */
function cifarRecords(labels: number[][], salt: number): Buffer {
  const images = patternImages(labels.length, 3, 32, 32, salt);
  return Buffer.concat(labels.map((l, i) => Buffer.concat([Buffer.from(l), images.subarray(i * 3072, (i + 1) * 3072)])));
}

function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, data]));
}

function svhnMat(digits: number[], salt: number): Buffer {
  const n = digits.length;
  return writeMat([
    { name: 'X', className: 'uint8', dims: [32, 32, 3, n], data: nchwToColumnMajor(patternImages(n, 3, 32, 32, salt), n, 3, 32, 32), compress: true },
    { name: 'y', className: 'double', dims: [n, 1], data: digits.map((d) => (d === 0 ? 10 : d)), compress: true },
  ]);
}

function mnistLike(salt: number): Record<string, Buffer> {
  return {
    'train-images-idx3-ubyte.gz': idx([3, 28, 28], patternImages(3, 1, 28, 28, salt)),
    'train-labels-idx1-ubyte.gz': idx([3], Uint8Array.from([7, 0, 4])),
    't10k-images-idx3-ubyte.gz': idx([2, 28, 28], patternImages(2, 1, 28, 28, salt + 1)),
    't10k-labels-idx1-ubyte.gz': idx([2], Uint8Array.from([1, 9])),
  };
}

const CIFAR10_TRAIN_LABELS = [[3], [1], [9], [0], [2], [7], [5], [4], [8], [6]];
const CIFAR10_MEMBERS: Record<string, Buffer> = Object.fromEntries([
  ...[1, 2, 3, 4, 5].map((i) => [`cifar-10-batches-bin/data_batch_${i}.bin`, cifarRecords(CIFAR10_TRAIN_LABELS.slice(2 * i - 2, 2 * i), i)]),
  ['cifar-10-batches-bin/test_batch.bin', cifarRecords([[6], [1]], 9)],
]);
const CIFAR100_MEMBERS: Record<string, Buffer> = {
  'cifar-100-binary/train.bin': cifarRecords([[19, 99], [0, 3], [7, 42]], 11),
  'cifar-100-binary/test.bin': cifarRecords([[1, 2]], 12),
};

/** The archive as published: a directory entry, the members, and files the reader does not need. */
function cifarArchive(folder: string, members: Record<string, Buffer>): Buffer {
  return gzipSync(tar([
    { path: `${folder}/`, type: '5' },
    { path: `${folder}/readme.html`, data: Buffer.from('<html></html>\n') },
    ...Object.entries(members).map(([p, data]) => ({ path: p, data })),
  ]));
}

/** Every fixture file by its name in the download directory, per dataset. */
const FIXTURES: Record<DownloadableDataset, Record<string, Buffer>> = {
  cifar10: { 'cifar-10-binary.tar.gz': cifarArchive('cifar-10-batches-bin', CIFAR10_MEMBERS) },
  cifar100: { 'cifar-100-binary.tar.gz': cifarArchive('cifar-100-binary', CIFAR100_MEMBERS) },
  svhn: { 'train_32x32.mat': svhnMat([0, 5, 9], 1), 'test_32x32.mat': svhnMat([3, 0], 2), 'extra_32x32.mat': svhnMat([1, 2, 8, 0], 3) },
  'fashion-mnist': mnistLike(20),
  mnist: mnistLike(30),
};
const MEMBERS: Record<string, Buffer> = { ...CIFAR10_MEMBERS, ...CIFAR100_MEMBERS };

/** The official catalogue, names, URLs and member paths untouched, with the fixtures' checksums and sizes. */
const TEST_CATALOGUE = Object.fromEntries(DOWNLOADABLE_DATASETS.map((dataset) => [dataset, OFFICIAL_CATALOGUE[dataset].map((file): RemoteFile => {
  const body = FIXTURES[dataset][file.name];
  if (!body) throw new Error(`no fixture for ${dataset}'s ${file.name}`);
  return { ...file, md5: md5(body), bytes: body.length, members: file.members?.map((m) => ({ ...m, bytes: MEMBERS[m.path].length })) };
})])) as Catalogue;

// ---- the server: each test serves under its own path prefix, so tests run side by side --------------

const server = new FileServer();
let prefixes = 0;
test.before(() => server.start());
test.after.always(() => server.close());

const officialPath = (file: RemoteFile) => new URL(file.url).pathname;

interface Scenario {
  prefix: string;
  mirror: string;
  /** The served path of one of the dataset's files. */
  pathOf(name: string): string;
  route(name: string): Route;
  lines: string[];
  options: DownloadOptions;
}

/** Serves `dataset`'s fixtures under a fresh prefix; `routes` changes how some of them are served. */
function scenario(dataset: DownloadableDataset, routes: Record<string, Route> = {}): Scenario {
  const prefix = `/t${prefixes++}`;
  const pathOf = (name: string) => `${prefix}${officialPath(TEST_CATALOGUE[dataset].find((f) => f.name === name)!)}`;
  for (const file of TEST_CATALOGUE[dataset]) server.routes.set(pathOf(file.name), { body: FIXTURES[dataset][file.name], ...routes[file.name] });
  const lines: string[] = [];
  const mirror = `${server.url}${prefix}`;
  return {
    prefix, mirror, pathOf, lines,
    route: (name) => server.routes.get(pathOf(name))!,
    options: { catalogue: TEST_CATALOGUE, mirror, retries: 0, retryDelayMs: 0, stallTimeoutMs: 5000, log: (line) => lines.push(line) },
  };
}

/** Every file under `dir`, as paths relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name))).sort();
}

// ---- the catalogue ----------------------------------------------------------------------------------

test('the official catalogue: dataset authors\' hosts, hex MD5s, sizes, and members of the sizes the readers check', (t) => {
  const hosts: Record<DownloadableDataset, string> = {
    cifar10: 'https://www.cs.toronto.edu', cifar100: 'https://www.cs.toronto.edu', svhn: 'http://ufldl.stanford.edu',
    'fashion-mnist': 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com', mnist: 'https://ossci-datasets.s3.amazonaws.com',
  };
  for (const dataset of DOWNLOADABLE_DATASETS) {
    for (const file of OFFICIAL_CATALOGUE[dataset]) {
      t.is(new URL(file.url).origin, hosts[dataset], file.url);
      t.is(path.posix.basename(new URL(file.url).pathname), file.name);
      t.regex(file.md5, /^[0-9a-f]{32}$/);
      t.true(Number.isSafeInteger(file.bytes) && file.bytes > 0);
    }
  }
  // 10000 records per CIFAR-10 batch (1 label byte), 50000 + 10000 for CIFAR-100 (2 label bytes).
  t.deepEqual(OFFICIAL_CATALOGUE.cifar10[0].members!.map((m) => m.bytes), Array(6).fill(10_000 * 3073));
  t.deepEqual(OFFICIAL_CATALOGUE.cifar100[0].members!.map((m) => m.bytes), [50_000 * 3074, 10_000 * 3074]);
  t.deepEqual(OFFICIAL_CATALOGUE.svhn.filter((f) => f.extra).map((f) => f.name), ['extra_32x32.mat']);
});

// ---- downloads --------------------------------------------------------------------------------------

test('each dataset downloads under its official names into exactly what its reader loads', async (t) => {
  const loaders: Record<DownloadableDataset, (dir: string) => Promise<{ train: { labels: ArrayLike<number> }; test: { labels: ArrayLike<number> } }>> = {
    cifar10, cifar100, svhn: (dir) => svhn(dir, { extra: true }), 'fashion-mnist': fashionMnist, mnist,
  };
  const expected: Record<DownloadableDataset, [number[], number[]]> = {
    cifar10: [CIFAR10_TRAIN_LABELS.flat(), [6, 1]], cifar100: [[99, 3, 42], [2]], svhn: [[0, 5, 9, 1, 2, 8, 0], [3, 0]],
    'fashion-mnist': [[7, 0, 4], [1, 9]], mnist: [[7, 0, 4], [1, 9]],
  };
  for (const dataset of DOWNLOADABLE_DATASETS) {
    const s = scenario(dataset);
    const dir = path.join(tempDir(`download-${dataset}`), 'data'); // created by the download
    const files = await downloadDataset(dataset, dir, { ...s.options, svhnExtra: dataset === 'svhn' });
    t.true(files.every((f) => f.outcome === 'downloaded'), dataset);
    const data = await loaders[dataset](dir);
    t.deepEqual([Array.from(data.train.labels), Array.from(data.test.labels)], expected[dataset], dataset);
    // No archive, partial or temporary file is left: only what the reader reads.
    const wanted = TEST_CATALOGUE[dataset].flatMap((f) => f.members?.map((m) => m.path) ?? [f.name]).sort();
    t.deepEqual(tree(dir), wanted, dataset);
    t.true(s.lines.some((l) => /MD5 verified/.test(l)), dataset);
  }
});

test('svhn without svhnExtra leaves the extra split out', async (t) => {
  const s = scenario('svhn');
  const dir = tempDir('download-svhn-plain');
  await downloadDataset('svhn', dir, s.options);
  t.deepEqual(tree(dir), ['test_32x32.mat', 'train_32x32.mat']);
  t.is(server.requestsFor(s.pathOf('extra_32x32.mat')).length, 0);
  await t.throwsAsync(downloadDataset('mnist', dir, { ...s.options, svhnExtra: true }), { instanceOf: PoFError, message: /svhnExtra applies to svhn only/ });
});

test('files already present and intact are skipped; a file with another MD5 is fetched again', async (t) => {
  const s = scenario('mnist');
  const dir = tempDir('download-present');
  await downloadDataset('mnist', dir, s.options);
  const mine = () => server.served.filter((r) => r.path.startsWith(`${s.prefix}/`)).length; // other tests run alongside
  const requests = mine();
  const again = await downloadDataset('mnist', dir, s.options);
  t.deepEqual(again.map((f) => f.outcome), ['present', 'present', 'present', 'present']);
  t.is(server.requestsFor(s.pathOf('train-images-idx3-ubyte.gz')).length, 1, 'nothing fetched the second time');
  t.true(s.lines.some((l) => /train-images-idx3-ubyte\.gz: already present, MD5 verified; skipped/.test(l)));
  writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), 'not the file');
  const repaired = await downloadDataset('mnist', dir, s.options);
  t.deepEqual(repaired.map((f) => f.outcome), ['present', 'present', 'present', 'downloaded']);
  t.true(s.lines.some((l) => new RegExp(`t10k-labels-idx1-ubyte\\.gz: present, but its MD5 is ${md5(Buffer.from('not the file'))}, not`).test(l)));
  t.is(mine(), requests + 1);
  t.deepEqual([...(await mnist(dir)).test.labels], [1, 9]);
});

test('a FIFO where a dataset file belongs is a FileError naming it, not a read that blocks forever', async (t) => {
  const s = scenario('mnist');
  const dir = tempDir('download-fifo');
  const fifo = path.join(dir, 't10k-labels-idx1-ubyte.gz');
  execFileSync('mkfifo', [fifo]);
  await t.throwsAsync(downloadDataset('mnist', dir, s.options),
    { instanceOf: FileError, message: new RegExp(`cannot (read|write) ${fifo}: it is a FIFO \\(named pipe\\), not a regular file \\(EFTYPE\\)`) });
  t.true(lstatSync(fifo).isFIFO(), 'left as it was');
});

test('an extracted archive is skipped; a verified archive whose extraction was cut short is extracted without a request', async (t) => {
  const s = scenario('cifar100');
  const dir = tempDir('download-extracted');
  await downloadDataset('cifar100', dir, s.options);
  t.deepEqual((await downloadDataset('cifar100', dir, s.options)).map((f) => f.outcome), ['present']);
  t.true(s.lines.some((l) => /already extracted .*; skipped/.test(l)));
  // As after a kill between the archive's rename and the end of its extraction.
  writeFileSync(path.join(dir, 'cifar-100-binary.tar.gz'), FIXTURES.cifar100['cifar-100-binary.tar.gz']);
  writeFileSync(path.join(dir, 'cifar-100-binary', 'test.bin'), 'half');
  t.deepEqual((await downloadDataset('cifar100', dir, s.options)).map((f) => f.outcome), ['extracted']);
  t.is(server.requestsFor(s.pathOf('cifar-100-binary.tar.gz')).length, 1);
  t.deepEqual([...(await cifar100(dir)).test.labels], [2]);
  t.deepEqual(tree(dir), ['cifar-100-binary/test.bin', 'cifar-100-binary/train.bin']);
});

test('a connection dropped midway leaves a partial file; the next run resumes it with a Range request', async (t) => {
  const name = 'train-images-idx3-ubyte.gz';
  const body = FIXTURES.mnist[name];
  const half = Math.floor(body.length / 2);
  const s = scenario('mnist', { [name]: { drop: { bytes: half, times: 1 } } });
  const dir = tempDir('download-resume');
  const target = path.join(dir, name);
  const e = await t.throwsAsync(downloadDataset('mnist', dir, s.options), {
    instanceOf: DownloadError, message: new RegExp(`${name}: the connection (broke|closed).* after \\d+ of ${body.length} bytes; run the download again to resume it`),
  });
  t.false(e!.isUserError);
  t.false(existsSync(target));
  const kept = statSync(partialPathFor(target)).size;
  t.true(kept > 0 && kept <= half, `the partial file holds ${kept} bytes`);
  const progress: number[] = [];
  await downloadDataset('mnist', dir, { ...s.options, onProgress: (p) => { if (p.file === name) progress.push(p.resumedFrom); } });
  const requests = server.requestsFor(s.pathOf(name));
  t.deepEqual(requests.map((r) => [r.range, r.status]), [[undefined, 200], [`bytes=${kept}-`, 206]]);
  t.true(progress.every((from) => from === kept));
  t.true(s.lines.some((l) => l.includes(`${name}: resuming`)));
  t.deepEqual(readFileSync(target), body);
  t.false(existsSync(partialPathFor(target)));
});

test('retries resume within the same call', async (t) => {
  const name = 'train-labels-idx1-ubyte.gz';
  const s = scenario('mnist', { [name]: { drop: { bytes: 10, times: 2 } } });
  const dir = tempDir('download-retry');
  await downloadDataset('mnist', dir, { ...s.options, retries: 2 });
  t.deepEqual(server.requestsFor(s.pathOf(name)).map((r) => r.status), [200, 206, 206]);
  t.is(s.lines.filter((l) => /trying again \(\d of 2\)/.test(l)).length, 2);
  t.deepEqual(readFileSync(path.join(dir, name)), FIXTURES.mnist[name]);
});

test('a server that ignores Range sends the whole file again, which replaces the partial one', async (t) => {
  const name = 't10k-images-idx3-ubyte.gz';
  const s = scenario('fashion-mnist', { [name]: { ranges: false, drop: { bytes: 20, times: 1 } } });
  const dir = tempDir('download-no-range');
  await t.throwsAsync(downloadDataset('fashion-mnist', dir, s.options), { instanceOf: DownloadError });
  t.true(existsSync(partialPathFor(path.join(dir, name))));
  await downloadDataset('fashion-mnist', dir, s.options);
  t.deepEqual(server.requestsFor(s.pathOf(name)).map((r) => [r.range !== undefined, r.status]), [[false, 200], [true, 200]]);
  t.true(s.lines.some((l) => /the server ignores range requests; downloading it from the start/.test(l)));
  t.deepEqual(readFileSync(path.join(dir, name)), FIXTURES['fashion-mnist'][name]);
});

test('a partial file longer than the file is discarded, and the file fetched whole', async (t) => {
  const name = 'test_32x32.mat';
  const s = scenario('svhn');
  const dir = tempDir('download-long-partial');
  const target = path.join(dir, name);
  writeFileSync(partialPathFor(target), Buffer.alloc(FIXTURES.svhn[name].length + 10, 1));
  await downloadDataset('svhn', dir, s.options);
  t.deepEqual(server.requestsFor(s.pathOf(name)).map((r) => r.range), [undefined]);
  t.deepEqual(readFileSync(target), FIXTURES.svhn[name]);
});

test('a corrupt file (checksum mismatch) is an error naming it and both MD5s, and leaves no file behind', async (t) => {
  const name = 'test_32x32.mat';
  const corrupt = Buffer.from(FIXTURES.svhn[name]);
  corrupt[corrupt.length - 1] ^= 0xff;
  const s = scenario('svhn', { [name]: { body: corrupt } });
  const dir = tempDir('download-corrupt');
  const expected = TEST_CATALOGUE.svhn.find((f) => f.name === name)!.md5;
  const e = await t.throwsAsync(downloadDataset('svhn', dir, s.options), { instanceOf: DownloadError });
  t.is(e!.message, `${name}: MD5 ${md5(corrupt)} differs from the published ${expected} (downloaded from ${s.mirror}/housenumbers/${name}); ` +
    'the corrupt download was removed: run pof download svhn again to fetch it afresh');
  t.false(existsSync(path.join(dir, name)));
  t.false(existsSync(partialPathFor(path.join(dir, name))));
  t.deepEqual(tree(dir), ['train_32x32.mat'], 'the file before it is kept');
});

test('a 404, a stalled connection, too many redirects and a wrong size are errors naming the URL', async (t) => {
  const dir = tempDir('download-http-errors');
  const missing = scenario('mnist');
  server.routes.delete(missing.pathOf('train-images-idx3-ubyte.gz'));
  await t.throwsAsync(downloadDataset('mnist', dir, missing.options), {
    instanceOf: DownloadError, message: `${missing.mirror}/mnist/train-images-idx3-ubyte.gz: the server answered HTTP 404 Not Found`,
  });
  t.deepEqual(tree(dir), []);

  const name = 'train-images-idx3-ubyte.gz';
  const bytes = FIXTURES.mnist[name].length;
  const stalled = scenario('mnist', { [name]: { stallAfter: 10 } });
  await t.throwsAsync(downloadDataset('mnist', dir, { ...stalled.options, stallTimeoutMs: 300 }), {
    instanceOf: DownloadError, message: new RegExp(`: no data from 127\\.0\\.0\\.1:\\d+ for 0\\.3 s after 10 of ${bytes} bytes; run the download again to resume it$`),
  });
  t.is(statSync(partialPathFor(path.join(dir, name))).size, 10, 'what came before the stall is kept for the next run');

  const looping = scenario('mnist');
  server.routes.set(looping.pathOf(name), { redirect: looping.pathOf(name) });
  await t.throwsAsync(downloadDataset('mnist', tempDir('download-loop'), looping.options), { instanceOf: DownloadError, message: /: more than 5 redirects/ });

  const other = scenario('mnist', { [name]: { claimedLength: bytes + 1 } });
  await t.throwsAsync(downloadDataset('mnist', tempDir('download-size'), other.options), {
    instanceOf: DownloadError, message: new RegExp(`the server offers ${bytes + 1} bytes, but the file is ${bytes} bytes`),
  });
});

test('redirects are followed, relative ones too', async (t) => {
  const name = 'train-labels-idx1-ubyte.gz';
  const s = scenario('mnist');
  server.routes.set(`${s.prefix}/moved/${name}`, { body: FIXTURES.mnist[name] });
  server.routes.set(s.pathOf(name), { redirect: `../moved/${name}` });
  const dir = tempDir('download-redirect');
  await downloadDataset('mnist', dir, s.options);
  t.deepEqual(readFileSync(path.join(dir, name)), FIXTURES.mnist[name]);
});

test('options are checked: unknown keys, a mirror that is not an http(s) URL, an unknown dataset', async (t) => {
  const dir = tempDir('download-options');
  await t.throwsAsync(downloadDataset('mnist', dir, { retry: 1 } as never), { message: /download: unknown option 'retry'/ });
  await t.throwsAsync(downloadDataset('mnist', dir, { mirror: 'ftp://example.org' }), { message: /the mirror must be an http:\/\/ or https:\/\/ URL/ });
  await t.throwsAsync(downloadDataset('imagenet' as never, dir), { message: /dataset must be one of 'cifar10'/ });
  t.deepEqual(tree(dir), []);
});

// ---- the tar reader ---------------------------------------------------------------------------------

async function extract(archive: Buffer, wanted: TarMember[]): Promise<Record<string, Buffer>> {
  const file = path.join(tempDir('tar'), 'a.tar.gz');
  writeFileSync(file, archive);
  const out: Record<string, Buffer> = {};
  await extractTarGz(file, wanted, async (member, chunks) => { out[member.path] = Buffer.concat(chunks); },
    (what) => new DatasetError(what));
  return out;
}

test('tar: only the members asked for come out; long names (GNU and pax) and ./ prefixes are understood', async (t) => {
  const long = `${'d'.repeat(90)}/${'f'.repeat(30)}.bin`;
  const archive = gzipSync(tar([
    { path: '../escape.bin', data: Buffer.from('outside') },
    { path: './a/one.bin', data: Buffer.from('one') },
    { path: 'a/link', type: '2' },
    { path: '././@LongLink', type: 'L', data: Buffer.from(`${long}\0`) },
    { path: long.slice(0, 100), data: Buffer.alloc(700, 7) },
    { path: 'PaxHeader', type: 'x', data: paxPath('pax/renamed.bin') },
    { path: 'ignored-name', data: Buffer.from('pax') },
    { path: 'a/two.bin', data: Buffer.from('two') },
  ]));
  const out = await extract(archive, [{ path: 'a/one.bin', bytes: 3 }, { path: long, bytes: 700 }, { path: 'pax/renamed.bin', bytes: 3 }]);
  t.deepEqual(Object.keys(out).sort(), [long, 'a/one.bin', 'pax/renamed.bin'].sort());
  t.is(out['a/one.bin'].toString(), 'one');
  t.deepEqual(out[long], Buffer.alloc(700, 7));
  t.is(out['pax/renamed.bin'].toString(), 'pax');
});

test('tar: a member of another size, a missing member, a corrupt header or gzip stream are errors', async (t) => {
  const archive = gzipSync(tar([{ path: 'a.bin', data: Buffer.from('abc') }]));
  await t.throwsAsync(extract(archive, [{ path: 'a.bin', bytes: 4 }]), { message: 'a.bin is 3 bytes, expected 4' });
  await t.throwsAsync(extract(archive, [{ path: 'a.bin', bytes: 3 }, { path: 'b.bin', bytes: 1 }]), { message: 'the archive has no b.bin' });
  const bad = tar([{ path: 'a.bin', data: Buffer.from('abc') }]);
  bad[10] ^= 1;
  await t.throwsAsync(extract(gzipSync(bad), [{ path: 'a.bin', bytes: 3 }]), { message: /the tar header at byte 0 is corrupt/ });
  await t.throwsAsync(extract(archive.subarray(0, archive.length - 20), [{ path: 'a.bin', bytes: 3 }]), { message: /the gzip stream is corrupt/ });
  await t.throwsAsync(extract(Buffer.from('plain text, not gzip'), [{ path: 'a.bin', bytes: 3 }]), { message: /the gzip stream is corrupt/ });
  const truncated = tar([{ path: 'big.bin', data: Buffer.alloc(2000) }]).subarray(0, 1024);
  await t.throwsAsync(extract(gzipSync(truncated), [{ path: 'big.bin', bytes: 2000 }]), { message: /the archive ends inside big\.bin \(truncated\)/ });
});

// ---- the readers point at the command ----------------------------------------------------------------

test('the readers\' "missing file" errors name the pof download command for their directory', async (t) => {
  const dir = tempDir('download-missing');
  const hint = (dataset: string, flags = '') => `download it with: pof download ${dataset} --dir ${dir}${flags} (or get the official release from `;
  const cases: [Promise<unknown>, string][] = [
    [cifar10(dir), hint('cifar10')], [cifar100(dir), hint('cifar100')], [svhn(dir), hint('svhn')],
    [svhn(dir, { extra: true }), hint('svhn', ' --svhn-extra')], [fashionMnist(dir), hint('fashion-mnist')], [mnist(dir), hint('mnist')],
  ];
  for (const [reading, expected] of cases) {
    const e = await t.throwsAsync(reading, { instanceOf: DatasetError });
    t.true(e!.message.includes(expected), e!.message);
  }
  const spaced = path.join(dir, "it's here");
  mkdirSync(spaced);
  await t.throwsAsync(mnist(spaced), { message: /pof download mnist --dir '.*it'\\''s here'/ });
});

// ---- the command --------------------------------------------------------------------------------------

/** The CLI, kept off the internet: the mirror variable points at the local server whatever the case. */
function cli(args: string[], mirror = `${server.url}/nothing-here`) {
  return pof(['download', ...args], 60_000, { ...process.env, POF_DATASETS_MIRROR: mirror });
}

test('pof download --help documents the datasets, the flags and the mirror variable', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^usage: pof download <dataset> \[options\]/);
  for (const text of ['cifar10, cifar100, svhn, fashion-mnist, mnist', '--dir', '--svhn-extra', '--mirror', '$POF_DATASETS_MIRROR', '--timeout', 'MD5']) {
    t.true(r.stdout.includes(text), text);
  }
  t.regex((await pof(['--help'])).stdout, /\n {2}download +fetch a dataset's official files/);
});

test('pof download: each mistake is one line and exit code 2', async (t) => {
  const root = tempDir('download-cli-mistakes');
  const aFile = path.join(root, 'a-file');
  writeFileSync(aFile, 'x');
  const dir = path.join(root, 'data');
  const cases: [string[], RegExp, string?][] = [
    [['imagenet', '--dir', dir], /^pof: unknown dataset 'imagenet'; expected one of cifar10, cifar100, svhn, fashion-mnist, mnist$/],
    [['toy', '--dir', dir], /^pof: toy is generated, not downloaded/],
    [['--dir', dir], /^pof: download needs <dataset>/],
    [['mnist', 'cifar10', '--dir', dir], /^pof: download: Unexpected argument 'cifar10'/],
    [['mnist'], /^pof: download needs --dir/],
    [['mnist', '--dir', aFile], /^pof: --dir .*a-file: it is a file, not a directory$/],
    [['mnist', '--dir', path.join(aFile, 'sub')], /^pof: --dir .*a-file\/sub: .*a-file is a file, not a directory$/],
    [['mnist', '--dir', dir, '--svhn-extra'], /^pof: --svhn-extra applies to svhn only$/],
    [['mnist', '--dir', dir, '--mirror', 'not a url'], /^pof: --mirror: the mirror must be an http:\/\/ or https:\/\/ URL/],
    [['mnist', '--dir', dir, '--timeout', '0'], /^pof: --timeout must be a number > 0 and <= 3600, got 0$/],
    [['mnist', '--dir', dir], /^pof: POF_DATASETS_MIRROR: the mirror must be/, 'file:///tmp'],
  ];
  for (const [args, message, mirror] of cases) {
    const r = await cli(args, mirror);
    const what = args.join(' ');
    t.is(r.code, 2, `${what}\n${r.stderr}`);
    t.is(r.stderr.trim().split('\n').length, 1, `one line for ${what}:\n${r.stderr}`);
    t.regex(r.stderr.trim(), message, what);
  }
  t.false(existsSync(dir), 'nothing was created');
});

test('pof download: a 404, a corrupt file and a dropped connection end with one pof: line and exit code 1', async (t) => {
  const dir = tempDir('download-cli-failures');
  // The official catalogue's checksums: these bodies of the right size cannot match them.
  const images = OFFICIAL_CATALOGUE.mnist[0];
  const r404 = await cli(['mnist', '--dir', dir]);
  t.is(r404.code, 1, r404.stderr);
  t.is(r404.stderr.trim().split('\n').pop(), `pof: ${server.url}/nothing-here/mnist/${images.name}: the server answered HTTP 404 Not Found`);

  const zeros = Buffer.alloc(images.bytes);
  server.routes.set(`/cli-corrupt${new URL(images.url).pathname}`, { body: zeros });
  const corrupt = await cli(['mnist', '--dir', dir, '--mirror', `${server.url}/cli-corrupt`]);
  t.is(corrupt.code, 1, corrupt.stderr);
  t.is(corrupt.stderr.trim().split('\n').pop(), `pof: ${images.name}: MD5 ${md5(zeros)} differs from the published ${images.md5} ` +
    `(downloaded from ${server.url}/cli-corrupt/mnist/${images.name}); the corrupt download was removed: run pof download mnist again to fetch it afresh`);
  t.deepEqual(tree(dir), []);

  server.routes.set(`/cli-drop${new URL(images.url).pathname}`, { body: zeros, drop: { bytes: 1000, times: 3 } });
  const dropped = await cli(['mnist', '--dir', dir], `${server.url}/cli-drop`);
  t.is(dropped.code, 1, dropped.stderr);
  const lines = dropped.stderr.trim().split('\n');
  t.is(lines.filter((l) => /trying again \([12] of 2\)/.test(l)).length, 2, dropped.stderr);
  t.regex(lines.pop()!, new RegExp(`^pof: .*${images.name}: the connection (broke|closed).* of ${images.bytes} bytes; run the download again to resume it$`));
  t.true(existsSync(partialPathFor(path.join(dir, images.name))), 'the partial file is kept for the next run');
  t.is(dropped.stdout, '');
});
