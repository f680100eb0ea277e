import * as fs from 'fs';
import * as path from 'path';
import { Command, numberFlag, optionalNumberFlag, stringFlag, UsageError } from '../args';
import { ANALYSIS_DEFAULTS as A, RULES } from '../../defaults';
import { fileError } from '../../errors';
import { runAnalyses } from '../../reproduce/analyses';
import { PoFTrainer } from '../../trainer';
import { checkFromFlags, FROM_FLAGS, recordedPipeline, startingModel } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG } from '../common-flags';
import { DATA_FLAGS, dataChoice, loadDataFlags } from '../data-flags';
import { isStored, type DatasetSplits } from '../../data/types';
import { prepareOutputDir } from '../output-dir';

const ANALYSES = ['hessian', 'curvature', 'xi', 'perturbation', 'correlation', 'loss-1d', 'delta-l'] as const;
type Analysis = (typeof ANALYSES)[number];

export const analyzeCommand: Command = {
  name: 'analyze',
  brief: 'Hessian eigenvalues, curvature, ξ*, perturbation sizes of a model, with figures',
  summary: 'The paper\'s analyses of one trained model, as OUT/analysis.json and figures in OUT/figures: hessian (top-k ' +
    'eigenvalues of the classifier Hessian, training loss), curvature (ĝᵀHĝ per mini-batch, train and test: Fig. 5), xi ' +
    '(ξ* of training vs test batches: Fig. 2b), perturbation (Fig. 6), correlation (Fig. 2a), loss-1d (Fig. 1d), ' +
    'delta-l (ΔL per layer: Fig. 1c; one Lanczos run per layer, slow on big models). Prints a JSON summary.',
  flags: {
    ...FROM_FLAGS,
    ...DATA_FLAGS,
    analyses: { type: 'string', help: `comma-separated, from ${ANALYSES.join(', ')}`, default: 'hessian,curvature,xi,perturbation' },
    out: { type: 'string', help: 'the output directory', required: true },
    k: { type: 'string', help: 'eigenpairs for hessian and correlation', default: String(A.k) },
    'hessian-examples': { type: 'string', help: 'training examples the Hessian is averaged over (a seeded subset)', default: String(A.hessianExamples) },
    batches: { type: 'string', help: 'mini-batches for the per-batch analyses', default: String(A.batches) },
    'batch-size': { type: 'string', help: `their size (default ${A.batchSize}, or the split's size when smaller)` },
    seed: { type: 'string', help: 'seed of the mini-batch draws and Lanczos start vectors', default: String(A.seed) },
    ...DEVICE_FLAG,
  },
  async run(flags) {
    dataChoice(flags, 'analyze');
    const chosen = stringFlag(flags, 'analyses', 'hessian,curvature,xi,perturbation').split(',').map((s) => s.trim());
    const unknown = chosen.filter((a) => !ANALYSES.includes(a as Analysis));
    if (unknown.length) throw new UsageError(`--analyses: unknown ${unknown.map((a) => `'${a}'`).join(', ')}; expected some of ${ANALYSES.join(', ')}`);
    const twice = chosen.find((a, i) => chosen.indexOf(a) !== i);
    if (twice !== undefined) throw new UsageError(`--analyses names ${twice} twice`);
    const out = stringFlag(flags, 'out')!;
    const options = {
      out, k: numberFlag(flags, 'k', A.k, { integer: true, min: 1 }),
      hessianExamples: numberFlag(flags, 'hessian-examples', A.hessianExamples, { integer: true, min: 1 }),
      batches: numberFlag(flags, 'batches', A.batches, RULES.batches),
      batchSize: optionalNumberFlag(flags, 'batch-size', RULES.batchSize),
      seed: numberFlag(flags, 'seed', A.seed, RULES.seed),
      log: (line: string) => console.error(line),
    };
    const device = deviceFlag(flags);
    checkFromFlags(flags);
    prepareOutputDir(out);
    const data = await loadDataFlags(flags, 'analyze', await recordedPipeline(flags));
    // The analyses draw their subsets and mini-batches in memory.
    if (isStored(data.train) || isStored(data.test)) {
      throw new UsageError('analyze reads the data in memory, and this data is read from disk: give a prepared store\'s image folder ' +
        '(imagefolder:DIR) instead, or leave --stream out');
    }
    const start = await startingModel(flags, data.train);
    const trainer = new PoFTrainer({ model: start.spec, device });
    await start.load(trainer);
    const result = await runAnalyses(trainer, data as DatasetSplits, chosen as Analysis[], options);
    const file = path.join(out, 'analysis.json');
    try {
      fs.writeFileSync(file, JSON.stringify({ from: start.source, dataset: data.dataset, ...result.full }, null, 2) + '\n');
    } catch (error) {
      throw fileError('write', file, error);
    }
    console.log(JSON.stringify(result.summary));
  },
};
