// `pof reproduce table1`: test error of SGD, SAM and SAM→PoF per dataset, with the paper's protocol
// (`full`: WRN-28-10, 200/250 epochs, PoF +10/+50, seeds 0..2) or a scaled-down version (`smoke`).
// One dataset per call; the table in the output directory gathers every dataset run into it.
import * as fs from 'fs';
import { writeFileAtomic } from '../checkpoint/atomic';
import { assertNotSpecialFile } from '../file-access';
import { DeviceName, FitMethod, paperProtocol } from '../defaults';
import * as path from 'path';
import type { DatasetSplits } from '../data/types';
import { parseModelName } from '../models';
import { multistep } from '../schedules';
import { EpochReport, PoFTrainer, StateDict, StepReport } from '../trainer';
import { PAPER_TABLE1, Table1Column, TABLE1_COLUMNS } from './paper';
import { makeDirectory } from '../make-directory';

export type Scale = 'smoke' | 'full';

/** The protocol: epochs are those of the paper's columns (200/250, PoF +10/+50), scaled for smoke runs. */
export interface Table1Protocol {
  model: string;
  batchSize: number;
  baseEpochs: number;
  longEpochs: number;
  milestones: number[];
  pofShort: number;
  pofLong: number;
  lr: number;
  rho: number;
  pofLr: number;
  gamma: number;
  seeds: number[];
}

/** The paper's model at full scale, a small WRN for smoke runs; the toy set's vectors get the toy study's MLP. */
export function defaultModel(dataset: string, scale: Scale): string {
  return scale === 'full' || dataset === 'toy' ? paperProtocol(dataset).model : 'wrn-10-2';
}

/** The batch size of a table run: the paper's at full scale, half of it for smoke runs. */
export function defaultBatchSize(dataset: string, scale: Scale): number {
  return scale === 'full' ? paperProtocol(dataset).fit.batchSize : 128;
}

export function table1Protocol(dataset: string, scale: Scale, overrides: Partial<Table1Protocol> = {}): Table1Protocol {
  const paper = paperProtocol(dataset);
  const base = overrides.baseEpochs ?? (scale === 'full' ? paper.fit.epochs : 8);
  // The paper's milestones (60/120/160/200 of 200 epochs), and its 50 extra epochs, at the same proportions.
  const scaled = (epochs: number) => Math.max(1, Math.round((epochs * base) / paper.fit.epochs));
  const longEpochs = base + scaled(50);
  const protocol: Table1Protocol = {
    model: defaultModel(dataset, scale),
    batchSize: defaultBatchSize(dataset, scale),
    baseEpochs: base,
    longEpochs,
    milestones: [...new Set(paper.fit.milestones.map(scaled))],
    pofShort: Math.min(scaled(10), longEpochs - base),
    pofLong: longEpochs - base,
    lr: paper.fit.lr,
    rho: paper.fit.rho,
    pofLr: paper.postTrain.lr,
    gamma: paper.postTrain.gamma,
    seeds: scale === 'full' ? [0, 1, 2] : [0],
  };
  return { ...protocol, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
}

export interface Table1Options {
  dataset: string;
  data: DatasetSplits;
  scale: Scale;
  out: string;
  device?: DeviceName;
  protocol?: Partial<Table1Protocol>;
  /** Callbacks for each training phase, labelled e.g. 'seed 0 SAM'. */
  callbacks?: (label: string) => { onEpoch?: (e: EpochReport) => void; onStep?: (s: StepReport) => void; reportEvery?: number };
  log?: (line: string) => void;
}

/** Test error (%) of each column for one seed. */
export async function table1Seed(options: Table1Options, p: Table1Protocol, seed: number): Promise<Record<Table1Column, number>> {
  const { train, test } = options.data;
  const spec = parseModelName(p.model, train);
  const device = options.device ?? 'cpu';
  const result = {} as Record<Table1Column, number>;
  const hooks = (label: string) => options.callbacks?.(`seed ${seed} ${label}`) ?? {};
  const error = async (t: PoFTrainer) => (await t.evaluate(test)).error;
  const factor = paperProtocol(options.dataset).fit.factor;

  // A baseline runs for the long budget; the base-budget column is its test error when it gets there.
  const baseline = async (method: FitMethod, name: 'SGD' | 'SAM'): Promise<StateDict> => {
    const trainer = new PoFTrainer({ model: spec, device, seed });
    const h = hooks(name);
    let atBase: StateDict | undefined;
    await trainer.fit(train, {
      method, rho: p.rho, epochs: p.longEpochs, batchSize: p.batchSize, lr: p.lr, schedule: multistep(p.milestones, factor),
      onStep: h.onStep, reportEvery: h.reportEvery,
      onEpoch: async (e) => {
        h.onEpoch?.(e);
        if (e.epoch !== p.baseEpochs) return;
        result[`${name} 200`] = await error(trainer);
        atBase = await trainer.stateDict();
      },
    });
    result[`${name} 250`] = await error(trainer);
    return atBase!;
  };
  await baseline('sgd', 'SGD');
  const sam = await baseline('sam', 'SAM');

  const pof = new PoFTrainer({ model: spec, device, seed });
  await pof.loadStateDict(sam);
  const h = hooks('SAM→PoF');
  await pof.postTrain(train, {
    epochs: p.pofLong, batchSize: p.batchSize, lr: p.pofLr, gamma: p.gamma, onStep: h.onStep, reportEvery: h.reportEvery,
    onEpoch: async (e) => {
      h.onEpoch?.(e);
      if (e.epoch === p.pofShort) result['SAM→PoF 210'] = await error(pof);
    },
  });
  result['SAM→PoF 250'] = await error(pof);
  return result;
}

interface Table1Row {
  dataset: string;
  scale: Scale;
  protocol: Table1Protocol;
  trainExamples: number;
  testExamples: number;
  perSeed: Record<Table1Column, number>[];
}

export async function reproduceTable1(options: Table1Options) {
  const p = table1Protocol(options.dataset, options.scale, options.protocol);
  const log = options.log ?? (() => undefined);
  log(`table1 ${options.dataset} (${options.scale}): ${p.model}, batch ${p.batchSize}, ${p.baseEpochs}/${p.longEpochs} epochs ` +
    `(milestones ${p.milestones.join(', ')}), PoF +${p.pofShort}/+${p.pofLong}, seeds ${p.seeds.join(', ')}`);
  const perSeed: Record<Table1Column, number>[] = [];
  for (const seed of p.seeds) {
    perSeed.push(await table1Seed(options, p, seed));
    log(`seed ${seed}: ${TABLE1_COLUMNS.map((c) => `${c} ${perSeed[perSeed.length - 1][c].toFixed(2)} %`).join(', ')}`);
  }
  const row: Table1Row = { dataset: options.dataset, scale: options.scale, protocol: p,
    trainExamples: options.data.train.shape[0], testExamples: options.data.test.shape[0], perSeed };
  const rows = mergeRows(path.join(options.out, 'table1.json'), row);
  makeDirectory(options.out, `cannot create the output directory ${options.out}`);
  await writeFileAtomic(path.join(options.out, 'table1.json'), Buffer.from(JSON.stringify(rows, null, 2) + '\n'));
  await writeFileAtomic(path.join(options.out, 'table1.md'), Buffer.from(table1Markdown(rows)));
  await writeFileAtomic(path.join(options.out, 'table1.csv'), Buffer.from(table1Csv(rows)));
  return row;
}

/** The rows already in `file`, with this dataset's row replaced or added. */
function mergeRows(file: string, row: Table1Row): Table1Row[] {
  assertNotSpecialFile('--out', file);
  const previous: Table1Row[] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  return [...previous.filter((r) => r.dataset !== row.dataset || r.scale !== row.scale), row];
}

/** Mean and sample standard deviation (n − 1; 0 for a single seed). */
export function meanStd(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return [mean, Math.sqrt(variance)];
}

const cell = ([m, s]: [number, number]) => `${m.toFixed(2)}±${s.toFixed(2)}`;
/** Our cell over the seeds run: one seed has no spread to show (n = 1, not ±0.00). */
const seedsCell = (values: number[]) => values.length === 1 ? `${values[0].toFixed(2)} (n = 1)` : cell(meanStd(values));

function columnTitles(p: Table1Protocol): string[] {
  const b = p.baseEpochs, l = p.longEpochs;
  return [`SGD ${b}`, `SGD ${l}`, `SAM ${b}`, `SAM ${l}`, `SAM→PoF ${b + p.pofShort}`, `SAM→PoF ${l}`];
}

export function table1Markdown(rows: Table1Row[]): string {
  const out = ['# Table 1: test error (%), mean ± std over seeds', ''];
  for (const row of rows) {
    const p = row.protocol;
    out.push(`## ${row.dataset} (${row.scale}: ${p.model}, ${row.trainExamples} training / ${row.testExamples} test examples, ` +
      `seeds ${p.seeds.join(', ')})`, '');
    out.push(`| | ${columnTitles(p).join(' | ')} |`, `|---|${'---|'.repeat(TABLE1_COLUMNS.length)}`);
    out.push(`| pof-torch | ${TABLE1_COLUMNS.map((c) => seedsCell(row.perSeed.map((s) => s[c]))).join(' | ')} |`);
    const paper = PAPER_TABLE1[row.dataset];
    if (paper) out.push(`| paper (WRN-28-10, 200/250 epochs) | ${TABLE1_COLUMNS.map((c) => cell(paper[c])).join(' | ')} |`);
    out.push('');
    if (row.scale === 'smoke') {
      out.push('A smoke run: a small model for a few epochs on a subset, with the protocol\'s proportions; it checks the pipeline, ' +
        'and its errors are not comparable with the paper\'s.', '');
    }
  }
  out.push('Columns: SGD and SAM trained for the paper\'s 200 (and 250) epochs, scaled as shown; SAM→PoF: the SAM model at the ' +
    'first budget post-trained with PoF (lr 3e-5, γ = 2) for +10 and +50 epochs, scaled alike.', '');
  return out.join('\n');
}

export function table1Csv(rows: Table1Row[]): string {
  const lines = ['dataset,scale,model,column,epochs,mean,std,seeds,paper_mean,paper_std'];
  for (const row of rows) {
    const titles = columnTitles(row.protocol);
    TABLE1_COLUMNS.forEach((c, i) => {
      const [m, s] = meanStd(row.perSeed.map((r) => r[c]));
      const paper = PAPER_TABLE1[row.dataset]?.[c];
      lines.push([row.dataset, row.scale, row.protocol.model, c, titles[i].split(' ').pop(), m.toFixed(4), s.toFixed(4),
        row.perSeed.length, paper?.[0] ?? '', paper?.[1] ?? ''].join(','));
    });
  }
  return lines.join('\n') + '\n';
}
