// `pof reproduce table2`: seconds per epoch of SGD, SAM and PoF on the same model, data and batch size,
// measured one after the other in one process, and their ratios to SGD (the paper: PoF/SGD = 1.17).
import { writeFileAtomic } from '../checkpoint/atomic';
import { DeviceName, METHODS, paperProtocol } from '../defaults';
import * as path from 'path';
import type { ImageSet } from '../data/types';
import { parseModelName } from '../models';
import { constant } from '../schedules';
import { EpochReport, PoFTrainer, StepReport } from '../trainer';
import { PAPER_TABLE2 } from './paper';
import { defaultBatchSize, defaultModel, Scale } from './table1';
import { makeDirectory } from '../make-directory';

export interface Table2Options {
  dataset: string;
  train: ImageSet;
  scale: Scale;
  out: string;
  device?: DeviceName;
  model?: string;
  batchSize?: number;
  /** Timed epochs per method, after one untimed warm-up epoch. */
  epochs?: number;
  callbacks?: (label: string) => { onEpoch?: (e: EpochReport) => void; onStep?: (s: StepReport) => void; reportEvery?: number };
  log?: (line: string) => void;
}

// SGD's and SAM's rate in the timed epochs (the rate does not change the time an epoch takes).
const TIMING_LR = 0.01;

export async function reproduceTable2(options: Table2Options) {
  const model = options.model ?? defaultModel(options.dataset, options.scale);
  const batchSize = options.batchSize ?? defaultBatchSize(options.dataset, options.scale);
  const pof = paperProtocol(options.dataset).postTrain;
  const epochs = options.epochs ?? 2;
  const trainer = new PoFTrainer({ model: parseModelName(model, options.train), device: options.device ?? 'cpu', seed: 0 });
  const log = options.log ?? (() => undefined);
  log(`table2 ${options.dataset}: ${model}, batch ${batchSize}, ${options.train.shape[0]} examples per epoch, ` +
    `1 warm-up + ${epochs} timed epochs per method`);
  const seconds = {} as Record<(typeof METHODS)[number], number>;
  for (const method of METHODS) {
    const hooks = options.callbacks?.(method.toUpperCase()) ?? {};
    const common = { epochs: epochs + 1, batchSize, schedule: constant(), ...hooks };
    const run = method === 'pof'
      ? await trainer.postTrain(options.train, { ...common, lr: pof.lr, gamma: pof.gamma })
      : await trainer.fit(options.train, { ...common, method, lr: TIMING_LR });
    const timed = run.history.slice(1).map((e) => e.seconds);
    seconds[method] = timed.reduce((a, b) => a + b, 0) / timed.length;
    log(`${method}: ${seconds[method].toFixed(2)} s per epoch`);
  }
  const result = {
    dataset: options.dataset, model, batchSize, device: trainer.device, examplesPerEpoch: options.train.shape[0], timedEpochs: epochs,
    secondsPerEpoch: seconds,
    ratioToSgd: { sgd: 1, sam: seconds.sam / seconds.sgd, pof: seconds.pof / seconds.sgd },
    paper: { secondsPerEpoch: PAPER_TABLE2, ratioToSgd: { sgd: 1, sam: PAPER_TABLE2.sam / PAPER_TABLE2.sgd, pof: PAPER_TABLE2.pof / PAPER_TABLE2.sgd } },
  };
  makeDirectory(options.out, `cannot create the output directory ${options.out}`);
  await writeFileAtomic(path.join(options.out, 'table2.json'), Buffer.from(JSON.stringify(result, null, 2) + '\n'));
  await writeFileAtomic(path.join(options.out, 'table2.md'), Buffer.from(table2Markdown(result)));
  return result;
}

function table2Markdown(r: Awaited<ReturnType<typeof reproduceTable2>>): string {
  const row = (name: string, s: Record<string, number>, ratio: Record<string, number>) =>
    `| ${name} | ${METHODS.map((m) => `${s[m].toFixed(2)} s (×${ratio[m].toFixed(2)})`).join(' | ')} |`;
  return [
    '# Table 2: time per epoch (ratio to SGD)',
    '',
    '| | SGD | SAM | PoF |',
    '|---|---|---|---|',
    row(`pof-torch (${r.model}, ${r.dataset}, ${r.examplesPerEpoch} examples, batch ${r.batchSize}, ${r.device})`, r.secondsPerEpoch, r.ratioToSgd),
    row('paper (WRN-28-10, CIFAR-10, 16×A100)', r.paper.secondsPerEpoch, r.paper.ratioToSgd),
    '',
  ].join('\n');
}
