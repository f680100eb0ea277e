import { shellWord } from '../../data/dataset-files';
import { DOWNLOADABLE_DATASETS, DownloadableDataset, OFFICIAL_CATALOGUE } from '../../download/catalogue';
import { checkMirror, downloadDataset, DownloadProgress, megabytes } from '../../download/download-dataset';
import { Command, Flags, numberFlag, stringFlag, UsageError } from '../args';
import { prepareOutputDir } from '../output-dir';
import { progress, Progress } from '../progress';

export const MIRROR_VARIABLE = 'POF_DATASETS_MIRROR';

// Off a terminal, a progress line at most this often (ms), so that logs stay short.
const PLAIN_LINE_EVERY = 5000;

function datasetArgument(flags: Flags): DownloadableDataset {
  const name = stringFlag(flags, 'dataset')!;
  if (name === 'toy') throw new UsageError('toy is generated, not downloaded: use --dataset toy without --data-dir');
  if (!DOWNLOADABLE_DATASETS.includes(name as DownloadableDataset)) {
    throw new UsageError(`unknown dataset '${name}'; expected one of ${DOWNLOADABLE_DATASETS.join(', ')}`);
  }
  return name as DownloadableDataset;
}

/** --mirror, else $POF_DATASETS_MIRROR, checked to be a base URL. */
function mirrorFlag(flags: Flags): string | undefined {
  const flag = stringFlag(flags, 'mirror');
  if (flag !== undefined) return checkMirror('--mirror', flag);
  const variable = process.env[MIRROR_VARIABLE];
  return variable ? checkMirror(MIRROR_VARIABLE, variable) : undefined;
}

/** A bar per file (bytes and MB/s) on a terminal; otherwise a plain line every few seconds. */
function downloadProgress(stream: NodeJS.WriteStream = process.stderr) {
  let current: { key: string; bar: Progress; started: number; from: number; lastLine: number } | undefined;
  const finish = () => {
    current?.bar.finish();
    current = undefined;
  };
  return {
    onProgress(p: DownloadProgress) {
      const key = `${p.file}@${p.resumedFrom}`; // a retry that resumes starts its own speed count
      if (current?.key !== key) {
        finish();
        current = { key, bar: progress(p.file, p.total, stream, (n) => (n / 1e6).toFixed(1)), started: Date.now(), from: p.resumedFrom, lastLine: Date.now() };
      }
      const now = Date.now();
      const rate = now > current.started ? ((p.done - current.from) / (now - current.started)) * 1000 : 0;
      current.bar.update(p.done, `MB ${megabytes(rate)}/s`);
      if (!stream.isTTY && now - current.lastLine >= PLAIN_LINE_EVERY && p.done < p.total) {
        current.lastLine = now;
        stream.write(`${p.file}: ${megabytes(p.done)} of ${megabytes(p.total)} (${Math.floor((100 * p.done) / p.total)} %), ${megabytes(rate)}/s\n`);
      }
    },
    log(line: string) {
      finish();
      stream.write(`${line}\n`);
    },
    finish,
  };
}

function sizeOf(dataset: DownloadableDataset, extra: boolean): string {
  return megabytes(OFFICIAL_CATALOGUE[dataset].filter((f) => extra || !f.extra).reduce((sum, f) => sum + f.bytes, 0));
}

export const downloadCommand: Command = {
  name: 'download',
  brief: 'fetch a dataset\'s official files, checksums verified, for --data-dir',
  summary: 'Downloads the official files of a dataset into --dir, where its reader loads them ' +
    `(pof train --dataset NAME --data-dir DIR): cifar10 (${sizeOf('cifar10', false)}) and cifar100 (${sizeOf('cifar100', false)}), ` +
    'the binary versions from www.cs.toronto.edu/~kriz, extracted; svhn, train_32x32.mat and test_32x32.mat ' +
    `(${sizeOf('svhn', false)}; with --svhn-extra also extra_32x32.mat, ${sizeOf('svhn', true)} in all) from ufldl.stanford.edu; ` +
    `fashion-mnist (${sizeOf('fashion-mnist', false)}) and mnist (${sizeOf('mnist', false)}), the gzipped IDX files, from their ` +
    'S3 hosts. Each file is checked against its published MD5 before it takes its name; files already there and intact are ' +
    'skipped; an interrupted download resumes where it stopped when the command is run again.',
  positional: { name: 'dataset', help: `one of ${DOWNLOADABLE_DATASETS.join(', ')}` },
  flags: {
    dir: { type: 'string', help: 'the directory for the files (created if missing): the --data-dir of the other commands', required: true },
    'svhn-extra': { type: 'boolean', help: 'svhn: also extra_32x32.mat (1.3 GB), for training with --svhn-extra' },
    mirror: { type: 'string', help: `fetch from this base URL instead (it replaces the scheme and host of each official URL); default $${MIRROR_VARIABLE}` },
    timeout: { type: 'string', help: 'seconds without data after which a connection is given up', default: '30' },
  },
  async run(flags) {
    const dataset = datasetArgument(flags);
    const extra = flags['svhn-extra'] === true;
    if (extra && dataset !== 'svhn') throw new UsageError('--svhn-extra applies to svhn only');
    const mirror = mirrorFlag(flags);
    const stallTimeoutMs = Math.ceil(numberFlag(flags, 'timeout', 30, { above: 0, max: 3600 }) * 1000);
    const dir = stringFlag(flags, 'dir')!;
    prepareOutputDir(dir, 'dir');
    const shown = downloadProgress();
    // The partial file stays: the same command resumes it.
    const interrupt = () => {
      shown.finish();
      process.stderr.write(`\npof: interrupted; run the same command again to resume the download\n`);
      process.exit(130);
    };
    process.once('SIGINT', interrupt);
    try {
      const files = await downloadDataset(dataset, dir, { mirror, svhnExtra: extra, stallTimeoutMs, log: shown.log, onProgress: shown.onProgress });
      shown.log(`${dataset} is ready in ${dir}: pof train --dataset ${dataset} --data-dir ${shellWord(dir)}${extra ? ' --svhn-extra' : ''}`);
      console.log(JSON.stringify({ dataset, dir, files: files.map((f) => ({ name: f.name, url: f.url, outcome: f.outcome })) }));
    } finally {
      shown.finish();
      process.off('SIGINT', interrupt);
    }
  },
};
