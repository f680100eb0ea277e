// What a network was trained on, recorded with its weights: the kind of input, one example's shape, the
// pixels' normalisation and evaluation crop, and the training augmentation. A model evaluated or trained
// further on inputs prepared otherwise gives wrong answers without an error (a network trained on
// normalised pixels and shown raw ones errs on 84 % of digits), so the commands that continue a model
// take these from it, and refuse data prepared otherwise.
import { CheckpointError, OptionError } from '../errors';
import { checkImageSet } from '../data-fit';
import { cropSide, exampleShape } from './resized-crop';
import type { Augmentation, DataKind, ImageSet, Normalization } from './types';

export interface InputPipeline {
  kind: DataKind;
  /** One example's shape as the network receives it (after an evaluation crop). */
  example: number[];
  /** Pixels: (x / 255 - mean) / std per channel; null: x / 255 (or, for values and tokens, as they are). */
  normalization: Normalization | null;
  /** Pixels: the side evaluation batches are centre-cropped to (a random-resized crop's size in training); null: none. */
  centerCrop: number | null;
  /** The training augmentation (a training choice: it is recorded, not enforced). */
  augmentation: Augmentation | null;
}

/** The pipeline of a data set as a trainer receives it. */
export function pipelineOf(data: ImageSet): InputPipeline {
  const { kind } = checkImageSet('pipelineOf', data, 'data');
  return {
    kind, example: exampleShape(data), normalization: data.normalization ?? null,
    centerCrop: cropSide(data) ?? null, augmentation: data.augmentation ?? null,
  };
}

const round = (values: number[]) => `[${values.map((v) => Number(v.toPrecision(4))).join(', ')}]`;

function describeNormalization(n: Normalization | null, kind: DataKind): string {
  if (kind !== 'pixels') return 'as they are';
  return n ? `(x/255 - mean ${round(n.mean)}) / std ${round(n.std)}` : 'x/255, not normalised';
}

function describeAugmentation(a: Augmentation | null): string {
  if (!a) return 'no augmentation';
  const parts = [a.resizedCrop ? `random-resized-crop ${a.resizedCrop.size}` : a.cropPadding > 0 ? `${a.cropPadding}-pixel padded crop` : '',
    a.flip ? 'flip' : '', a.cutout > 0 ? `cutout ${a.cutout}` : ''].filter(Boolean);
  return parts.length ? parts.join(' + ') : 'no augmentation';
}

/** One line for a run's header: "pixels [3, 32, 32], (x/255 - mean [...]) / std [...], 4-pixel padded crop + flip". */
export function describePipeline(p: InputPipeline): string {
  return [`${p.kind} [${p.example.join(', ')}]`, describeNormalization(p.normalization, p.kind),
    ...(p.centerCrop !== null ? [`centre crop ${p.centerCrop}`] : []), describeAugmentation(p.augmentation)].join(', ');
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
// float32 statistics written as JSON and read back: equal to a few ulps, not bit for bit.
const close = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(v)));

const sameInputs = (a: InputPipeline, b: InputPipeline) => a.kind === b.kind && same(a.example, b.example);

/** How `given` prepares inputs otherwise than `recorded` (the augmentation aside), each as "what: recorded vs given". */
export function pipelineDifferences(recorded: InputPipeline, given: InputPipeline): string[] {
  const out: string[] = [];
  if (!sameInputs(recorded, given)) {
    out.push(`inputs: ${recorded.kind} [${recorded.example.join(', ')}] recorded vs ${given.kind} [${given.example.join(', ')}] given`);
  }
  const r = recorded.normalization, g = given.normalization;
  if ((r === null) !== (g === null) || (r && g && !(close(r.mean, g.mean) && close(r.std, g.std)))) {
    out.push(`normalisation: ${describeNormalization(r, recorded.kind)} recorded vs ${describeNormalization(g, given.kind)} given`);
  }
  if (recorded.centerCrop !== given.centerCrop) {
    out.push(`evaluation crop: ${recorded.centerCrop ?? 'none'} recorded vs ${given.centerCrop ?? 'none'} given`);
  }
  return out;
}

/** A recorded pipeline (checkpoint metadata 'input_pipeline'), checked field by field. */
export function parsePipeline(file: string, text: string): InputPipeline {
  const bad = (what: string) => new CheckpointError(`${file}: metadata 'input_pipeline' ${what}`);
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw bad(`is not JSON (${(error as Error).message})`);
  }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad('must be a JSON object');
  const numbers = (v: unknown) => Array.isArray(v) && v.length > 0 && v.length <= 64 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!['pixels', 'values', 'tokens'].includes(p.kind as string)) throw bad(`has kind ${JSON.stringify(p.kind)}; expected pixels, values or tokens`);
  if (!numbers(p.example) || !(p.example as number[]).every((x) => Number.isSafeInteger(x) && x >= 1)) throw bad('must give example as a list of positive integers');
  const n = p.normalization as Normalization | null;
  if (n !== null && !(typeof n === 'object' && numbers(n.mean) && numbers(n.std) && n.mean.length === n.std.length && n.std.every((s) => s > 0))) {
    throw bad('must give normalization as null or { mean, std }: lists of the same length, std > 0');
  }
  if (p.centerCrop !== null && !(Number.isSafeInteger(p.centerCrop) && (p.centerCrop as number) >= 1)) throw bad('must give centerCrop as null or a positive integer');
  if (p.augmentation !== null && (typeof p.augmentation !== 'object' || Array.isArray(p.augmentation))) throw bad('must give augmentation as null or an object');
  return { kind: p.kind as DataKind, example: p.example as number[], normalization: n, centerCrop: p.centerCrop as number | null,
    augmentation: p.augmentation as Augmentation | null };
}

/** Whether data whose preparation differs from the weights' is refused ('check', the default) or taken ('override'). */
export const PIPELINE_CHOICES = ['check', 'override'] as const;
export type PipelineChoice = (typeof PIPELINE_CHOICES)[number];

/**
 * Data for weights trained on `recorded` inputs: an OptionError naming what differs (normalisation, evaluation
 * crop), unless `choice` is 'override'. Nothing is checked before the weights have a pipeline.
 */
export function assertSamePipeline(where: string, role: string, recorded: InputPipeline | undefined, data: ImageSet, choice: PipelineChoice): void {
  if (recorded === undefined || choice === 'override') return;
  // Only what fails silently: data of another shape or kind is the model's to refuse, naming what it takes.
  const given = pipelineOf(data);
  if (!sameInputs(recorded, given)) return;
  const differences = pipelineDifferences(recorded, given);
  if (differences.length > 0) {
    throw new OptionError(`${where}: ${role} '${data.name}' is prepared otherwise than the weights were trained on: ${differences.join('; ')}; ` +
      'prepare it the same way (trainer.inputPipeline says how), or pass inputPipeline: \'override\'');
  }
}
