import { ANALYSIS_DEFAULTS as A, RULES } from '../../defaults';
import { reproduceFig5, reproduceFig6 } from '../../reproduce/figures-5-6';
import { PoFTrainer } from '../../trainer';
import { Command, Flag, Flags, numberFlag, optionalNumberFlag, stringFlag } from '../args';
import { modelFromFile, TORCHSCRIPT_FLAGS, torchScriptNames } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG } from '../common-flags';
import { DATASET_FLAGS, LoadedData, loadDatasetFlags } from '../dataset-flags';
import { checkInputFile } from '../input-file';
import { prepareOutputDir } from '../output-dir';

const FIGURE_FLAGS: Record<string, Flag> = {
  ...DATASET_FLAGS,
  model: { type: 'string', help: 'the architecture, for torch.save checkpoints, or torchscript:FILE (pof-torch files record theirs)' },
  ...TORCHSCRIPT_FLAGS,
  out: { type: 'string', help: 'the output directory (figures in OUT/figures)', required: true },
  batches: { type: 'string', help: 'mini-batches per histogram', default: String(A.batches) },
  'batch-size': { type: 'string', help: `mini-batch size (default ${A.batchSize}, or the split's size when smaller)` },
  seed: { type: 'string', help: 'seed of the mini-batch draw', default: String(A.seed) },
  ...DEVICE_FLAG,
};

async function trainerFor(file: string, data: LoadedData, flags: Flags) {
  const start = await modelFromFile(file, data.train, { model: stringFlag(flags, 'model'), names: torchScriptNames(flags) });
  const trainer = new PoFTrainer({ model: start.spec, device: deviceFlag(flags) });
  await start.load(trainer);
  return trainer;
}

/** What both figures take, every flag checked and the model files and --out too, before any work. */
function figureOptions(flags: Flags, models: string[]) {
  const options = {
    out: stringFlag(flags, 'out')!, log: (line: string) => console.error(line),
    batches: numberFlag(flags, 'batches', A.batches, RULES.batches),
    batchSize: optionalNumberFlag(flags, 'batch-size', RULES.batchSize),
    seed: numberFlag(flags, 'seed', A.seed, RULES.seed),
  };
  deviceFlag(flags);
  for (const flag of models) checkInputFile(flag, stringFlag(flags, flag)!);
  prepareOutputDir(options.out);
  return options;
}

export const reproduceFig5Command: Command = {
  name: 'reproduce fig5',
  brief: 'Fig. 5: curvature histograms, a SAM model vs its PoF successor',
  summary: 'Fig. 5: histograms of the curvature along the mini-batch gradient (ĝᵀHĝ in classifier space) on training and ' +
    'test batches, for a SAM model and its PoF successor. Writes OUT/fig5.json and OUT/figures/fig5-{train,test}.svg.',
  flags: {
    sam: { type: 'string', help: 'the SAM model (e.g. a pof train --method sam run\'s model.safetensors)', required: true },
    pof: { type: 'string', help: 'its PoF successor (a pof post-train run\'s model.safetensors)', required: true },
    ...FIGURE_FLAGS,
  },
  async run(flags) {
    const options = figureOptions(flags, ['sam', 'pof']);
    const data = await loadDatasetFlags(flags);
    const sam = await trainerFor(stringFlag(flags, 'sam')!, data, flags);
    const pof = await trainerFor(stringFlag(flags, 'pof')!, data, flags);
    const r = await reproduceFig5(sam, pof, { ...options, data });
    console.log(JSON.stringify(Object.fromEntries(Object.entries(r.medians))));
  },
};

export const reproduceFig6Command: Command = {
  name: 'reproduce fig6',
  brief: 'Fig. 6: perturbation-size histograms of PoF, SAM and SGD',
  summary: 'Fig. 6: histograms of perturbation sizes in classifier space at a SAM model (where PoF starts): PoF\'s γ·ξ*·ĝ, ' +
    'SAM\'s ε (its classifier part), an SGD step η·g. Writes OUT/fig6.json and OUT/figures/fig6.svg.',
  flags: {
    sam: { type: 'string', help: 'the SAM model', required: true },
    gamma: { type: 'string', help: 'PoF\'s γ', default: String(A.gamma) },
    rho: { type: 'string', help: 'SAM\'s ρ', default: String(A.rho) },
    lr: { type: 'string', help: 'the SGD step\'s η (the paper: the final rate 0.1·0.2⁴)', default: A.lr.toExponential() },
    ...FIGURE_FLAGS,
  },
  async run(flags) {
    const sizes = {
      gamma: numberFlag(flags, 'gamma', A.gamma, RULES.gamma), rho: numberFlag(flags, 'rho', A.rho, RULES.rho), lr: numberFlag(flags, 'lr', A.lr, RULES.lr),
    };
    const options = figureOptions(flags, ['sam']);
    const data = await loadDatasetFlags(flags);
    const sam = await trainerFor(stringFlag(flags, 'sam')!, data, flags);
    const r = await reproduceFig6(sam, { ...options, ...sizes, data });
    console.log(JSON.stringify(r.medians));
  },
};
