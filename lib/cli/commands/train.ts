import { DEFAULTS, FIT_METHODS, paperProtocol, RULES, SAM_SCOPES } from '../../defaults';
import { parseModelName } from '../../models';
import { multistep } from '../../schedules';
import { choiceFlag, Command, increasingIntegersFlag, numberFlag, stringFlag, UsageError } from '../args';
import { TORCHSCRIPT_FLAGS, torchScriptNames } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG, OUT_FLAGS } from '../common-flags';
import { DATA_FLAGS, dataChoice, loadDataFlags } from '../data-flags';
import { datasetFlag } from '../dataset-flags';
import { finishRun, runFlags, startRun, TRAINING_FLAGS, trainingFlags } from '../training-run';

const SVHN = paperProtocol('svhn');

export const trainCommand: Command = {
  name: 'train',
  brief: 'train a model with SGD or SAM (the paper\'s protocol by default)',
  summary: 'Trains a model with SGD or SAM (the paper\'s protocol by default: WRN-28-10, batch 256, lr 0.1 (SVHN 0.01) ' +
    '× 0.2 at epochs 60, 120, 160, 200, Nesterov momentum 0.9, weight decay 5e-4; SAM ρ 0.05 (SVHN 0.01)). Writes ' +
    'OUT/config.json, OUT/metrics.jsonl, a training checkpoint every --checkpoint-every epochs (OUT/checkpoint.safetensors, ' +
    'for --resume), OUT/model.safetensors, OUT/figures/training.svg, and the epoch scalars as TensorBoard event files in ' +
    'OUT/tensorboard/ (tensorboard --logdir OUT) and as OUT/scalars.csv. Ctrl-C stops at the next step; the last ' +
    'checkpoint stays.',
  flags: {
    ...DATA_FLAGS,
    model: { type: 'string', help: 'wrn-<depth>-<widen>, mlp-<width>-..., or your own network: export:FILE (a .pt2 from python/export_program.py, with --classifier) or torchscript:FILE (legacy)',
      default: `${paperProtocol('cifar10').model} (toy: ${paperProtocol('toy').model}; with --data: required)` },
    ...TORCHSCRIPT_FLAGS,
    method: { type: 'string', help: FIT_METHODS.join(' or '), default: DEFAULTS.fit.method },
    epochs: { type: 'string', help: 'training epochs', default: String(DEFAULTS.fit.epochs) },
    lr: { type: 'string', help: 'base learning rate', default: `${DEFAULTS.fit.lr} (SVHN ${SVHN.fit.lr})` },
    milestones: { type: 'string', help: 'epochs where the rate is multiplied by --lr-factor', default: DEFAULTS.fit.milestones.join(',') },
    'lr-factor': { type: 'string', help: 'the factor at each milestone', default: String(DEFAULTS.fit.factor) },
    rho: { type: 'string', help: 'SAM\'s radius', default: `${DEFAULTS.fit.rho} (SVHN ${SVHN.fit.rho})` },
    'sam-scope': { type: 'string', help: 'under torchrun: SAM ascends along the global batch\'s gradient (global) or each rank\'s own (local)', default: DEFAULTS.fit.samScope },
    ...TRAINING_FLAGS,
    seed: { type: 'string', help: 'seed of the weights, batch order and augmentation', default: String(DEFAULTS.seed) },
    ...DEVICE_FLAG,
    ...OUT_FLAGS,
  },
  dataParallel: true,
  async run(flags) {
    // Every flag is checked before the data is read or anything is trained.
    const own = dataChoice(flags, 'train') === 'data';
    // The user's data takes the paper's CIFAR settings, but no default model: none fits every dataset.
    const protocol = paperProtocol(own ? 'cifar10' : datasetFlag(flags));
    if (own && flags.model === undefined) {
      throw new UsageError('--data needs --model: wrn-<depth>-<widen>, mlp-<width>-..., export:FILE or torchscript:FILE');
    }
    const options = {
      method: choiceFlag(flags, 'method', DEFAULTS.fit.method, FIT_METHODS),
      epochs: numberFlag(flags, 'epochs', protocol.fit.epochs, RULES.epochs),
      lr: numberFlag(flags, 'lr', protocol.fit.lr, RULES.lr),
      rho: numberFlag(flags, 'rho', protocol.fit.rho, RULES.rho),
      samScope: choiceFlag(flags, 'sam-scope', DEFAULTS.fit.samScope, SAM_SCOPES),
      schedule: multistep(increasingIntegersFlag(flags, 'milestones', [...protocol.fit.milestones], 1), numberFlag(flags, 'lr-factor', protocol.fit.factor, { above: 0 })),
      ...trainingFlags(flags),
    };
    const device = deviceFlag(flags);
    const runOptions = runFlags(flags);
    const data = await loadDataFlags(flags, 'train');
    const spec = parseModelName(stringFlag(flags, 'model', protocol.model), data.train, torchScriptNames(flags));
    const run = await startRun(runOptions, 'train', data, spec, options, device);
    const result = await run.trainer.fit(data.train, { ...options, ...run.hooks });
    await finishRun(run, result, data);
  },
};
