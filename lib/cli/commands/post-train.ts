import { DEFAULTS, GAMMA_MODES, resolvePof, RULES } from '../../defaults';
import { constant } from '../../schedules';
import { DIVERGENCE_ACTIONS } from '../../trainer/divergence';
import type { PoFTrainer } from '../../trainer';
import { assertWritablePath } from '../../checkpoint/training-checkpoint';
import { choiceFlag, Command, numberFlag, optionalNumberFlag, stringFlag, UsageError } from '../args';
import { checkFromFlags, FROM_FLAGS, pipelineOverride, recordedPipeline, startingModel } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG, FEATURE_REUSE_FLAG, featureReuseFlag, FLAG_NAMES, OUT_FLAGS } from '../common-flags';
import { DATA_FLAGS, dataChoice, loadDataFlags } from '../data-flags';
import { finishRun, runFlags, startRun, TRAINING_FLAGS, trainingFlags } from '../training-run';

/** The post-trained network written back in the user's own format, for PyTorch to load. */
const EXPORTS = [
  { flag: 'export-program', kind: 'exported', needs: 'an exported network (--model export:FILE)', label: '.pt2 program',
    write: (trainer: PoFTrainer, file: string) => trainer.exportProgram(file) },
  { flag: 'export-torchscript', kind: 'torchScript', needs: 'a TorchScript network (--model torchscript:FILE)', label: 'TorchScript',
    write: (trainer: PoFTrainer, file: string) => trainer.exportTorchScript(file) },
];

export const postTrainCommand: Command = {
  name: 'post-train',
  brief: 'post-train its feature extractor with PoF',
  summary: 'Post-trains the feature extractor of a trained model with PoF (the paper: 10 or 50 epochs, lr 3e-5, γ = 2, ' +
    'the classifier fixed). Writes the same run directory as train.',
  flags: {
    ...FROM_FLAGS,
    ...DATA_FLAGS,
    epochs: { type: 'string', help: 'PoF epochs', default: String(DEFAULTS.postTrain.epochs) },
    lr: { type: 'string', help: 'learning rate of the feature extractor (constant)', default: String(DEFAULTS.postTrain.lr) },
    gamma: { type: 'string', help: 'expansion factor γ of the line-search step ξ*', default: String(DEFAULTS.postTrain.gamma) },
    'gamma-mode': { type: 'string', help: 'fixed, uniform (γ ~ U(0, gamma)) or linear (0 → gamma over the run)', default: DEFAULTS.postTrain.gammaMode },
    'weak-batch-size': { type: 'string', help: 'size of B, the batch the line search runs on', default: 'the batch size' },
    ...FEATURE_REUSE_FLAG,
    'keep-best': { type: 'boolean', help: 'end with the weights of the epoch of lowest test error, not the last epoch\'s' },
    'on-divergence': { type: 'string', help: 'when ξ* rises 3 epochs in a row with the test error: warn, stop (after that epoch) or ignore', default: 'warn' },
    'export-program': { type: 'string', help: 'with a --model export:FILE network: also write the post-trained program here (a .pt2: torch.export.load reads it)' },
    'export-torchscript': { type: 'string', help: 'with a --model torchscript:FILE network: also write the post-trained network here (torch.jit.load reads it)' },
    ...TRAINING_FLAGS,
    seed: { type: 'string', help: 'seed of the batch order, augmentation and PoF\'s draws', default: String(DEFAULTS.seed) },
    ...DEVICE_FLAG,
    ...OUT_FLAGS,
  },
  dataParallel: true,
  async run(flags) {
    // Every flag is checked before the data is read or anything is trained.
    dataChoice(flags, 'post-train');
    const common = trainingFlags(flags);
    const epochs = numberFlag(flags, 'epochs', DEFAULTS.postTrain.epochs, RULES.epochs);
    const lr = numberFlag(flags, 'lr', DEFAULTS.postTrain.lr, RULES.lr);
    // PoF's own flags resolve as postTrain resolves them, so the two share each rule (feature reuse's batch sizes).
    const pof = resolvePof('post-train', {
      gamma: optionalNumberFlag(flags, 'gamma', RULES.gamma),
      gammaMode: choiceFlag(flags, 'gamma-mode', DEFAULTS.postTrain.gammaMode, GAMMA_MODES),
      weakBatchSize: optionalNumberFlag(flags, 'weak-batch-size', RULES.batchSize),
      featureReuse: featureReuseFlag(flags),
    }, common.batchSize, FLAG_NAMES);
    const options = {
      ...common, epochs, lr, schedule: constant(),
      gamma: pof.gamma, gammaMode: pof.gammaMode, weakBatchSize: pof.weakBatchSize, featureReuse: pof.featureReuse,
      onDivergence: choiceFlag(flags, 'on-divergence', 'warn', DIVERGENCE_ACTIONS),
      ...(flags['keep-best'] === true ? { keepBest: true } : {}),
    };
    const device = deviceFlag(flags);
    const runOptions = runFlags(flags);
    checkFromFlags(flags);
    const data = await loadDataFlags(flags, 'post-train', await recordedPipeline(flags));
    const start = await startingModel(flags, data.train);
    const exports = EXPORTS.filter((e) => stringFlag(flags, e.flag) !== undefined);
    for (const e of exports) {
      if (start.spec.kind !== e.kind) throw new UsageError(`--${e.flag} needs ${e.needs}; ${start.source} holds a ${start.spec.kind}`);
      await assertWritablePath(`--${e.flag}`, stringFlag(flags, e.flag)!);
    }
    const run = await startRun(runOptions, 'post-train', data, start.spec, options, device, { from: start.source });
    if (!run.hooks.resume) {
      await start.load(run.trainer);
      const before = await run.trainer.evaluate(data.test, pipelineOverride(flags));
      run.config.beforePoF = { error: before.error, loss: before.loss };  // config.json and final.json record it
      if (run.dir.writes) console.error(`${start.source}: test error ${before.error.toFixed(2)} % before PoF`);
    }
    const result = await run.trainer.postTrain(data.train, { ...options, ...run.hooks, ...pipelineOverride(flags) });
    if (result.stopped && run.dir.writes) console.error(`post-train: stopped after epoch ${result.history.length}: ${result.stopped}`);
    if (result.best?.restored && run.dir.writes) console.error(`post-train: kept epoch ${result.best.epoch} (test error ${result.best.error.toFixed(2)} %), the best`);
    await finishRun(run, result, data);
    for (const e of result.aborted ? [] : exports) {
      const file = stringFlag(flags, e.flag)!;
      await e.write(run.trainer, file);
      if (run.dir.writes) console.error(`wrote ${file} (${e.label})`);
    }
  },
};
