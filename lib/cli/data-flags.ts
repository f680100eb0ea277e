// --data SPEC (the user's own data) as the alternative to --dataset NAME (the paper's datasets): the splits,
// their normalisation and augmentation. Every flag is checked before any data is read.
import { checkImageSet } from '../data-fit';
import { DatasetError } from '../errors';
import { type InputPipeline, pipelineDifferences, pipelineOf } from '../data/input-pipeline';
import { fromNpy, LAYOUTS } from '../data/from-npy';
import { holdOut } from '../data/hold-out';
import { imageFolder } from '../data/image-folder';
import { measuredNormalization, measuredStoredNormalization } from '../data/measured-normalization';
import { prepared } from '../data/prepared';
import { imagenetAugmentation } from '../data/resized-crop';
import { DATA_KINDS, isStored, type ArraySet, type Augmentation, type DataKind, type ImageSet, type Normalization } from '../data/types';
import { choiceFlag, Flag, Flags, optionalNumberFlag, parseNumber, stringFlag, UsageError } from './args';
import { DATASET_FLAGS, DATASET_NAMES, loadDatasetFlags, sized } from './dataset-flags';

const FORMS = 'imagefolder:DIR, prepared:DIR, npz:FILE or npy:INPUTS.npy,LABELS.npy';
const AUGMENTS = ['none', 'flip', 'paper', 'imagenet'] as const;
const NORMALIZE = ['measured', 'none'] as const;
// The held-out examples are the same in train, post-train and eval: the split's seed is fixed.
const VAL_SEED = 0;
const DEFAULT_VAL_FRACTION = 0.1;

/** The paper's datasets (--dataset) or the user's own (--data): exactly one of them. */
export const DATA_FLAGS: Record<string, Flag> = {
  ...DATASET_FLAGS,
  dataset: { type: 'string', help: `one of ${DATASET_NAMES.join(', ')} (or --data)` },
  data: { type: 'string', help: `your own training data instead of --dataset: ${FORMS}` },
  'test-data': { type: 'string', help: 'with --data: the test split, in the same forms (default: --val-fraction of --data held out)' },
  'val-fraction': { type: 'string', help: 'with --data and no --test-data: the fraction of it held out as the test split (seeded, the same in every command)',
    default: String(DEFAULT_VAL_FRACTION) },
  'image-size': { type: 'string', help: 'with imagefolder:DIR: the images\' size, S (square) or HxW' },
  channels: { type: 'string', help: 'with imagefolder:DIR: 3 (RGB; grey expanded) or 1 (greyscale)', default: '3' },
  kind: { type: 'string', help: `with npz: or npy: data: ${DATA_KINDS.join(', ')} (default: by dtype)` },
  layout: { type: 'string', help: `with npz: or npy: data: ${LAYOUTS.join(', ')} (how image axes are ordered)` },
  stream: { type: 'boolean', help: 'with npy: or npz: data: leave the inputs in their file and read them a batch at a time (for arrays larger than ' +
    'memory; needs --test-data; an .npz from np.savez, not np.savez_compressed)' },
  augment: { type: 'string', help: `with --data: ${AUGMENTS.join(', ')} (paper: 4-pixel padded crop + flip, as for CIFAR; ` +
    'imagenet: random-resized crop + flip, for photos of side 96 and more)',
    default: 'none (post-train --from a pof-torch model: the model\'s own)' },
  crop: { type: 'string', help: 'with --augment imagenet: the crop\'s side (the test split is centre-cropped to it)', default: '0.875 x the image side' },
  normalize: { type: 'string', help: `with --data pixels: ${NORMALIZE.join(' or ')} (none: pixels / 255)`,
    default: 'measured: a prepared store\'s own mean/std, else the per-channel mean/std of the training split' },
};

// Flags of one of the two sources only.
const PAPER_ONLY = ['data-dir', 'svhn-extra'];
const OWN_ONLY = ['test-data', 'val-fraction', 'image-size', 'channels', 'kind', 'layout', 'stream', 'augment', 'crop', 'normalize'];

/** The splits a command works on, and what the run records about them. */
export interface CliData {
  /** The paper's dataset name, or the --data spec. */
  dataset: string;
  dataDir?: string;
  train: ImageSet;
  test: ImageSet;
  /** Class names by label, when the data has them. */
  classes?: string[];
  /** With --data: how the splits were made, for the run's config.json. */
  record?: Record<string, unknown>;
}

/** Which of --dataset and --data the flags give; both or neither is a UsageError naming `command`. */
export function dataChoice(flags: Flags, command: string): 'dataset' | 'data' {
  const own = stringFlag(flags, 'data') !== undefined;
  if (own && flags.dataset !== undefined) {
    throw new UsageError('give --dataset NAME (the paper\'s datasets) or --data SPEC (your own), not both');
  }
  if (!own && flags.dataset === undefined) {
    throw new UsageError(`${command} needs --dataset NAME (${DATASET_NAMES.join(', ')}) or --data SPEC (${FORMS})`);
  }
  const wrong = (own ? PAPER_ONLY : OWN_ONLY).find((name) => flags[name] !== undefined);
  if (wrong !== undefined) throw new UsageError(`--${wrong} applies to ${own ? '--dataset' : '--data'} only`);
  return own ? 'data' : 'dataset';
}

/**
 * The splits of --dataset or --data (see dataChoice). With the input pipeline a --from model `recorded`, the
 * data follows it (its normalisation and crop, and for training its augmentation unless --augment says
 * otherwise), and data prepared otherwise is refused, unless --override-pipeline.
 */
export async function loadDataFlags(flags: Flags, command: string, recorded?: InputPipeline): Promise<CliData> {
  const follow = flags['override-pipeline'] === true ? undefined : recorded;
  const data = dataChoice(flags, command) === 'dataset' ? await loadDatasetFlags(flags) : await readOwnData(ownDataPlan(flags), follow);
  if (follow) {
    const differences = pipelineDifferences(follow, pipelineOf(data.test));
    if (differences.length > 0) {
      throw new UsageError(`${data.dataset} is prepared otherwise than the --from model was trained on: ${differences.join('; ')}; ` +
        'give the data flags it was trained with, or --override-pipeline to use these');
    }
  }
  return data;
}

type Form = 'imagefolder' | 'prepared' | 'npz' | 'npy';

interface Spec {
  text: string;
  form: Form;
  paths: string[];
}

/** imagefolder:DIR, prepared:DIR, npz:FILE or npy:INPUTS.npy,LABELS.npy. */
function parseSpec(flag: string, text: string): Spec {
  const colon = text.indexOf(':');
  const form = text.slice(0, colon) as Form;
  const rest = text.slice(colon + 1);
  const paths = form === 'npy' ? rest.split(',') : [rest];
  const count = form === 'npy' ? 2 : 1;
  if (colon < 0 || !['imagefolder', 'prepared', 'npz', 'npy'].includes(form) || paths.length !== count || paths.some((p) => p === '')) {
    throw new UsageError(`--${flag} must be ${FORMS}, got '${text}'`);
  }
  return { text, form, paths };
}

/** What the flags ask for, checked. */
interface OwnDataPlan {
  train: Spec;
  test?: Spec;
  valFraction: number;
  trainSize?: number;
  testSize?: number;
  imageSize?: number | [number, number];
  /** imagefolder: data decoded as RGB (3) or greyscale (1). */
  channels: 1 | 3;
  kind?: DataKind;
  layout?: (typeof LAYOUTS)[number];
  /** npy: and npz: inputs left in their files (fromNpy's stream). */
  stream: boolean;
  augment?: (typeof AUGMENTS)[number];
  crop?: number;
  normalize: (typeof NORMALIZE)[number];
  /** Whether --normalize was given (a recorded pipeline decides otherwise). */
  normalizeGiven: boolean;
}

function ownDataPlan(flags: Flags): OwnDataPlan {
  const train = parseSpec('data', stringFlag(flags, 'data')!);
  const testText = stringFlag(flags, 'test-data');
  const test = testText === undefined ? undefined : parseSpec('test-data', testText);
  const specs = test ? [train, test] : [train];
  const has = (form: Form) => specs.some((s) => s.form === form);
  const stream = flags.stream === true;
  if (stream && !has('npy') && !has('npz')) throw new UsageError('--stream applies to npy: and npz: data only');
  // Read from disk a batch at a time: a prepared store, or npy: and npz: data with --stream.
  const onDisk = (spec: Spec) => spec.form === 'prepared' || (stream && (spec.form === 'npy' || spec.form === 'npz'));
  if (onDisk(train) && !test) {
    throw new UsageError(`--data ${train.text} is read from disk a batch at a time and cannot be split in memory: give the test split as ` +
      (train.form === 'prepared' ? '--test-data SPEC (prepare the train/ and val/ folders as two stores: pof prepare DIR/train STORE/train, ' +
        'pof prepare DIR/val STORE/val)' : '--test-data SPEC (or leave --stream out)'));
  }
  if (test && flags['val-fraction'] !== undefined) throw new UsageError('--val-fraction applies without --test-data only (the test split is given)');
  const valFraction = optionalNumberFlag(flags, 'val-fraction', { above: 0 }) ?? DEFAULT_VAL_FRACTION;
  if (valFraction >= 1) throw new UsageError(`--val-fraction must be a number > 0 and < 1, got ${valFraction}`);
  if (has('imagefolder') && flags['image-size'] === undefined) {
    throw new UsageError('imagefolder: data needs --image-size S or HxW (the size its images are resized and centre-cropped to)');
  }
  for (const name of ['image-size', 'channels']) {
    if (!has('imagefolder') && flags[name] !== undefined) throw new UsageError(`--${name} applies to imagefolder: data only`);
  }
  const channels = flags.channels === undefined ? 3 : Number(choiceFlag(flags, 'channels', '3', ['1', '3'] as const)) as 1 | 3;
  for (const name of ['kind', 'layout']) {
    if (flags[name] !== undefined && !has('npz') && !has('npy')) throw new UsageError(`--${name} applies to npz: and npy: data only`);
  }
  const trainSize = optionalNumberFlag(flags, 'train-size', { integer: true, min: 1 });
  const testSize = optionalNumberFlag(flags, 'test-size', { integer: true, min: 1 });
  for (const [name, spec, size] of [['train-size', train, trainSize], ['test-size', test, testSize]] as const) {
    if (size !== undefined && spec !== undefined && onDisk(spec)) {
      throw new UsageError(`--${name} does not apply to ${spec.text}: ` + (spec.form === 'prepared'
        ? 'a prepared store is read from disk; prepare a smaller one instead' : 'it is streamed from disk (--stream); leave --stream out, or save a smaller array'));
    }
  }
  const augment = flags.augment === undefined ? undefined : choiceFlag(flags, 'augment', 'none', AUGMENTS);
  const crop = optionalNumberFlag(flags, 'crop', { integer: true, min: 1 });
  if (crop !== undefined && augment !== 'imagenet') throw new UsageError('--crop applies with --augment imagenet only');
  return {
    train, test, valFraction, trainSize, testSize, augment, crop, stream, channels,
    imageSize: flags['image-size'] === undefined ? undefined : imageSizeFlag(flags),
    kind: flags.kind === undefined ? undefined : choiceFlag(flags, 'kind', 'values', DATA_KINDS),
    layout: flags.layout === undefined ? undefined : choiceFlag(flags, 'layout', 'NCHW', LAYOUTS),
    normalize: choiceFlag(flags, 'normalize', 'measured', NORMALIZE), normalizeGiven: flags.normalize !== undefined,
  };
}

/** --image-size S (square) or HxW. */
export function imageSizeFlag(flags: Flags): number | [number, number] {
  const raw = stringFlag(flags, 'image-size')!;
  const parts = raw.split('x');
  if (parts.length > 2) throw new UsageError(`--image-size must be S or HxW (e.g. 224 or 224x160), got '${raw}'`);
  const sides = parts.map((p) => parseNumber('image-size', p, { integer: true, min: 1, max: 65535 }));
  return sides.length === 1 ? sides[0] : [sides[0], sides[1]];
}

/** One spec's set, named by the spec; a test split takes the training split's classes (their labels must agree). */
function readSpec(spec: Spec, plan: OwnDataPlan, like?: ImageSet): Promise<ImageSet> {
  const name = spec.text;
  const arrays = { kind: plan.kind, layout: plan.layout, name, numClasses: like?.numClasses };
  switch (spec.form) {
    case 'imagefolder': return imageFolder({ dir: spec.paths[0], imageSize: plan.imageSize!, channels: plan.channels, name, classes: like?.classes });
    case 'prepared': return prepared(spec.paths[0], { name });
    case 'npz': return fromNpy({ file: spec.paths[0], ...arrays, stream: plan.stream });
    case 'npy': return fromNpy({ inputs: spec.paths[0], labels: spec.paths[1], ...arrays, stream: plan.stream });
  }
}

async function readOwnData(plan: OwnDataPlan, follow?: InputPipeline): Promise<CliData> {
  let train = await readSpec(plan.train, plan);
  let test: ImageSet;
  if (plan.test) {
    test = await readSpec(plan.test, plan, train);
  } else {
    const all = train as ArraySet;
    const held = Math.round(plan.valFraction * all.shape[0]);
    if (held < 1 || held >= all.shape[0]) {
      throw new UsageError(`--val-fraction ${plan.valFraction} of the ${all.shape[0]} examples of ${plan.train.text} holds out ${held}: ` +
        'expected at least one for each split (give --test-data, or another --val-fraction)');
    }
    ({ rest: train, held: test } = holdOut(all, held, VAL_SEED));
  }
  assertSameData(train, test, plan);
  if (!isStored(train)) train = sized(train as ArraySet, 'train-size', plan.trainSize, undefined, VAL_SEED, `${plan.train.text}'s training split`);
  if (!isStored(test)) test = sized(test as ArraySet, 'test-size', plan.testSize, undefined, VAL_SEED + 1, 'the test split');
  const settings = follow ? followedSettings(train, plan, follow) : await trainingSettings(train, plan);
  // The test split: the training split's normalisation and, with the ImageNet augmentation, its centre crop.
  const { augmentation: _training, ...evaluation } = settings;
  const record = {
    testData: plan.test?.text ?? null, stream: plan.stream, valFraction: plan.test ? null : plan.valFraction, kind: train.kind,
    normalization: settings.normalization ?? null, augmentation: settings.augmentation ?? null, centerCrop: settings.centerCrop ?? null,
  };
  return { dataset: plan.train.text, train: { ...train, ...settings }, test: { ...test, augmentation: undefined, ...evaluation },
    record, ...(train.classes ? { classes: train.classes } : {}) };
}

/** The test split must be the training split's kind of example, with its classes. */
function assertSameData(train: ImageSet, test: ImageSet, plan: OwnDataPlan): void {
  const where = `${plan.test?.text ?? 'the held-out split'}`;
  const shape = (s: ImageSet) => `${checkImageSet(s.name, s, 'data').kind} (${s.shape.slice(1).join(', ')})`;
  if (shape(train) !== shape(test)) throw new DatasetError(`${where} holds ${shape(test)} examples; expected ${shape(train)} as in ${plan.train.text}`);
  if (test.numClasses !== train.numClasses) {
    throw new DatasetError(`${where} has ${test.numClasses} classes; expected ${train.numClasses} as in ${plan.train.text}`);
  }
  if (train.classes && test.classes && train.classes.join('\0') !== test.classes.join('\0')) {
    throw new DatasetError(`${where} names its classes ${test.classes.join(', ')}; expected ${train.classes.join(', ')} as in ${plan.train.text}`);
  }
}

/**
 * Pixels' normalisation (the same for both splits): a store's own, or measured on the training split (a streamed
 * one read once for it), unless --normalize none.
 */
async function normalizationOf(train: ImageSet, plan: OwnDataPlan): Promise<Normalization | undefined> {
  if (train.kind !== 'pixels' || plan.normalize === 'none') return undefined;
  if (!isStored(train)) return measuredNormalization(train as ArraySet);
  return train.normalization ?? measuredStoredNormalization(train);
}

/** The training split's augmentation (--augment, or the default for its kind and size) and normalisation. */
async function trainingSettings(train: ImageSet, plan: OwnDataPlan): Promise<Partial<ImageSet>> {
  const augment = augmentName(train, plan);
  const crop = augment === 'imagenet' ? cropSide(imageSide(train), plan) : undefined;
  return { normalization: await normalizationOf(train, plan), augmentation: trainingAugmentation(augment, crop), centerCrop: crop };
}

const imageSide = (train: ImageSet) => Math.min(train.shape[2] ?? 0, train.shape[3] ?? 0);

/** --augment, or the default for the data's kind and size. */
function augmentName(train: ImageSet, plan: OwnDataPlan): (typeof AUGMENTS)[number] {
  const pixels = train.kind === 'pixels';
  // None unless asked for: a flip or a crop is not safe for arbitrary images (digits, text, medical scans).
  const augment = plan.augment ?? 'none';
  if (!pixels && augment !== 'none') throw new UsageError(`--augment ${augment} applies to pixels only; ${plan.train.text} holds ${train.kind}`);
  return augment;
}

/** The augmentation --augment names (imagenet: its random-resized crop to `crop`). */
function trainingAugmentation(augment: (typeof AUGMENTS)[number], crop: number | undefined): Augmentation | undefined {
  if (augment === 'imagenet' && crop === undefined) throw new UsageError('--augment imagenet needs an evaluation crop; the --from model records none');
  const augmentation: Record<string, Augmentation | undefined> = {
    none: undefined,
    flip: { cropPadding: 0, flip: true, cutout: 0 },
    paper: { cropPadding: 4, flip: true, cutout: 0 },
    imagenet: crop === undefined ? undefined : imagenetAugmentation(crop),
  };
  return augmentation[augment];
}

/**
 * The settings of a model's recorded pipeline: its normalisation and crop, and its augmentation unless --augment
 * chooses another (a training choice). A --normalize or --crop that contradicts the record is refused.
 */
function followedSettings(train: ImageSet, plan: OwnDataPlan, recorded: InputPipeline): Partial<ImageSet> {
  const contradiction = (flag: string, given: string, record: string) => new UsageError(`--${flag} ${given} contradicts the --from model, ` +
    `trained with ${record}; leave --${flag} out to follow the model, or pass --override-pipeline`);
  if (plan.normalizeGiven && train.kind === 'pixels' && (plan.normalize === 'none') !== (recorded.normalization === null)) {
    throw contradiction('normalize', plan.normalize, recorded.normalization ? `mean ${JSON.stringify(recorded.normalization.mean)}, std ` +
      `${JSON.stringify(recorded.normalization.std)}` : 'pixels / 255, not normalised');
  }
  if (plan.crop !== undefined && plan.crop !== recorded.centerCrop) throw contradiction('crop', String(plan.crop), `crop ${recorded.centerCrop ?? 'none'}`);
  return {
    normalization: recorded.normalization ?? undefined, centerCrop: recorded.centerCrop ?? undefined,
    augmentation: plan.augment === undefined ? recorded.augmentation ?? undefined
      : trainingAugmentation(augmentName(train, plan), recorded.centerCrop ?? undefined),
  };
}

/** --crop, or 0.875 of the side (torchvision's 224 of 256); at most the side. */
function cropSide(side: number, plan: OwnDataPlan): number {
  const crop = plan.crop ?? Math.max(1, Math.round(0.875 * side));
  if (crop > side) throw new UsageError(`--crop ${crop} exceeds the images' side (${side} pixels) in ${plan.train.text}`);
  return crop;
}
