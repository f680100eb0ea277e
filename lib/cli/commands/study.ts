import { DEFAULTS, GAMMA_MODES, RULES } from '../../defaults';
import { ARM_NAMES, ARMS, type Arm, studyPoF } from '../../study/study';
import { writeStudy } from '../../study/report';
import { PoFTrainer } from '../../trainer';
import { choiceFlag, Command, numberFlag, stringFlag, UsageError } from '../args';
import { checkFromFlags, FROM_FLAGS, pipelineOverride, recordedPipeline, startingModel } from '../checkpoint-flags';
import { deviceFlag, DEVICE_FLAG } from '../common-flags';
import { DATA_FLAGS, dataChoice, loadDataFlags } from '../data-flags';
import { describeEpoch } from '../epoch-log';
import { prepareOutputDir } from '../output-dir';

export const studyCommand: Command = {
  name: 'study',
  brief: 'did PoF help? PoF against its controls over seeds, with confidence intervals',
  summary: 'Post-trains the --from model with PoF and, from the same weights with the same data, epochs, learning rate and ' +
    'seeds, with its controls: γ = 0 (the same steps and draws, no perturbation) and continued SGD. Reports each arm\'s test ' +
    'error and top classifier eigenvalue (mean and 95 % CI over seeds), PoF minus each control (bootstrap 95 % CI over seeds ' +
    'and test examples, exact McNemar p) and a verdict; writes OUT/study.json, OUT/study.md and OUT/figures/study.svg.',
  flags: {
    ...FROM_FLAGS,
    from: { ...FROM_FLAGS.from, help: `${FROM_FLAGS.from.help}; or A,B,...: one trained model per seed (the same network from other initial weights)` },
    ...DATA_FLAGS,
    seeds: { type: 'string', help: 'seeds per arm (batch order and PoF\'s draws); with --from A,B,...: one per model', default: '3' },
    epochs: { type: 'string', help: 'post-training epochs of every arm', default: String(DEFAULTS.postTrain.epochs) },
    lr: { type: 'string', help: 'learning rate of every arm (constant)', default: String(DEFAULTS.postTrain.lr) },
    gamma: { type: 'string', help: 'PoF\'s expansion factor γ', default: String(DEFAULTS.postTrain.gamma) },
    'gamma-mode': { type: 'string', help: 'fixed, uniform (γ ~ U(0, gamma)) or linear', default: DEFAULTS.postTrain.gammaMode },
    'batch-size': { type: 'string', help: 'mini-batch size', default: String(DEFAULTS.batchSize) },
    momentum: { type: 'string', help: 'Nesterov momentum', default: String(DEFAULTS.momentum) },
    'weight-decay': { type: 'string', help: 'L2 weight decay', default: String(DEFAULTS.weightDecay) },
    arms: { type: 'string', help: `arms to run, comma-separated: ${ARMS.join(', ')} (pof always)`, default: ARMS.join(',') },
    'hessian-examples': { type: 'string', help: 'training examples for each arm\'s top classifier eigenvalue (0: none)', default: '1024' },
    ...DEVICE_FLAG,
    out: { type: 'string', help: 'the output directory (study.json, study.md, figures/)', required: true },
  },
  async run(flags) {
    dataChoice(flags, 'study');
    const arms = stringFlag(flags, 'arms', ARMS.join(','))!.split(',').map((a) => a.trim());
    const unknown = arms.filter((a) => !ARMS.includes(a as Arm));
    if (unknown.length > 0) throw new UsageError(`--arms: unknown ${unknown.join(', ')}; expected some of ${ARMS.join(', ')}`);
    const options = {
      ...(flags.seeds === undefined ? {} : { seeds: numberFlag(flags, 'seeds', 3, { integer: true, min: 1 }) }),
      epochs: numberFlag(flags, 'epochs', DEFAULTS.postTrain.epochs, RULES.epochs),
      lr: numberFlag(flags, 'lr', DEFAULTS.postTrain.lr, RULES.lr),
      gamma: numberFlag(flags, 'gamma', DEFAULTS.postTrain.gamma, RULES.gamma),
      gammaMode: choiceFlag(flags, 'gamma-mode', DEFAULTS.postTrain.gammaMode, GAMMA_MODES),
      batchSize: numberFlag(flags, 'batch-size', DEFAULTS.batchSize, RULES.batchSize),
      momentum: numberFlag(flags, 'momentum', DEFAULTS.momentum, RULES.momentum),
      weightDecay: numberFlag(flags, 'weight-decay', DEFAULTS.weightDecay, RULES.weightDecay),
      hessianExamples: numberFlag(flags, 'hessian-examples', 1024, { integer: true, min: 0 }),
      arms: [...new Set(['pof', ...arms])] as Arm[],
    };
    const device = deviceFlag(flags);
    const out = stringFlag(flags, 'out')!;
    // --from A,B,C: one trained model per seed (the same network from other initial weights).
    const files = stringFlag(flags, 'from')!.split(',');
    for (const file of files) checkFromFlags({ ...flags, from: file });
    prepareOutputDir(out);
    const data = await loadDataFlags(flags, 'study', await recordedPipeline({ ...flags, from: files[0] }));
    const bases: PoFTrainer[] = [];
    let source = '';
    for (const file of files) {
      const start = await startingModel({ ...flags, from: file }, data.train);
      const trainer = new PoFTrainer({ model: start.spec, device });
      await start.load(trainer);
      bases.push(trainer);
      source = source ? `${source}, ${start.source}` : start.source;
    }
    const result = await studyPoF(bases.length > 1 ? bases : bases[0], data.train, data.test, {
      ...options, ...pipelineOverride(flags), onEpoch: (arm, seed, e) => console.error(`study ${ARM_NAMES[arm]}, seed ${seed}: ${describeEpoch(e)}`),
    });
    const written = await writeStudy(out, result, `Did PoF help? ${source} on ${data.dataset}`);
    console.error(result.verdict);
    console.error(`wrote ${written.join(', ')}`);
    console.log(JSON.stringify({ base: result.base, arms: result.arms, comparisons: result.comparisons.map(({ verdict, ...c }) => c) }));
  },
};
