// --from (and --from-classifier, --model): the trained model a command starts from. pof-torch checkpoints
// carry their model config; torch.save files (a state_dict, or the PoF authors' feature-extractor and
// classifier files) need --model.
import { promises as fs } from 'fs';
import * as path from 'path';
import { readCheckpoint } from '../checkpoint/training-checkpoint';
import type { InputPipeline } from '../data/input-pipeline';
import type { ImageSet } from '../data/types';
import { ModelSpec, parseModelName } from '../models';
import type { PoFTrainer } from '../trainer';
import { fileError } from '../errors';
import { Flag, Flags, stringFlag, UsageError } from './args';
import { checkInputFile } from './input-file';
import { openRegularFile } from '../file-access';
import { pt2ArchiveFile, pt2Refusal } from '../checkpoint/pt2-archive';

/** The parts of a --model export:FILE or torchscript:FILE network. */
export const TORCHSCRIPT_FLAGS: Record<string, Flag> = {
  features: { type: 'string', help: 'with --model torchscript:FILE: its method returning the features [N, D]', default: 'features' },
  classifier: { type: 'string', help: 'with --model export:FILE or torchscript:FILE: the dotted path of its final nn.Linear (e.g. fc)', default: 'classifier' },
  'allow-operator': { type: 'string', help: 'with --model export:FILE: operators the archive may use beyond lib/exported-operators.json, comma-separated as the graph names them (aten.cosh.default): pure computations only' },
};

/** --features, --classifier and --allow-operator, for parseModelName. */
export function torchScriptNames(flags: Flags): { features?: string; classifier?: string; allowOperators?: string[] } {
  const allow = stringFlag(flags, 'allow-operator');
  return { features: stringFlag(flags, 'features'), classifier: stringFlag(flags, 'classifier'),
    ...(allow === undefined ? {} : { allowOperators: allow.split(',').map((op) => op.trim()) }) };
}

/**
 * The input pipeline the --from model records (a pof-torch checkpoint written since it was recorded), read
 * before the data: the data flags follow it. Undefined for other files (torch.save, .pt2, TorchScript).
 */
export async function recordedPipeline(flags: Flags): Promise<InputPipeline | undefined> {
  const from = stringFlag(flags, 'from')!;
  if (flags['from-classifier'] !== undefined || pt2ArchiveFile(from) || (await isTorchSave(from))) return undefined;
  const model = stringFlag(flags, 'model');
  if (model !== undefined && path.resolve(from) === path.resolve(model.replace(/^(export|torchscript):/, ''))) return undefined;
  return (await readCheckpoint(from, 'pof')).info.pipeline;
}

/** With --override-pipeline, the trainer's own check is overridden too (the flags already chose the data's preparation). */
export function pipelineOverride(flags: Flags): { inputPipeline?: 'override' } {
  return flags['override-pipeline'] === true ? { inputPipeline: 'override' } : {};
}

export const FROM_FLAGS: Record<string, Flag> = {
  from: { type: 'string', help: 'the trained model: a pof-torch .safetensors, or a torch.save .pt/.pth state_dict', required: true },
  'from-classifier': { type: 'string', help: 'with the PoF authors\' two-file layout: --from is the feature-extractor file, this the classifier file' },
  model: { type: 'string', help: 'the architecture of a torch.save file (wrn-<depth>-<widen> or mlp-...), or export:FILE / torchscript:FILE for your own network (--from FILE takes its weights); pof-torch files record theirs' },
  ...TORCHSCRIPT_FLAGS,
  'override-pipeline': { type: 'boolean', help: 'prepare the data as the flags say even where the --from model records another input pipeline ' +
    '(normalisation, evaluation crop): by default the data follows the model, and a flag that contradicts it is refused' },
};

export interface StartingModel {
  spec: ModelSpec;
  /** Puts the weights into a trainer built with `spec`. */
  load(trainer: PoFTrainer): Promise<void>;
  source: string;
}

async function isTorchSave(file: string): Promise<boolean> {
  const head = Buffer.alloc(4);
  try {
    const handle = await openRegularFile(file);
    try {
      await handle.read(head, 0, 4, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileError('read', file, error);
  }
  return head.subarray(0, 2).toString('latin1') === 'PK' || head[0] === 0x80; // zip (torch.save) or a legacy pickle
}

/** The model of --from (with --from-classifier and --model). */
export function startingModel(flags: Flags, data: ImageSet): Promise<StartingModel> {
  return modelFromFile(stringFlag(flags, 'from')!, data,
    { classifier: stringFlag(flags, 'from-classifier'), model: stringFlag(flags, 'model'), names: torchScriptNames(flags) });
}

/** --from and --from-classifier as readable files: checked before the data is read. */
export function checkFromFlags(flags: Flags): void {
  checkInputFile('from', stringFlag(flags, 'from')!);
  const classifier = stringFlag(flags, 'from-classifier');
  if (classifier !== undefined) checkInputFile('from-classifier', classifier);
}

/** The model in `from`: a pof-torch checkpoint, or a torch.save file (and its classifier file) of architecture `model`. */
export async function modelFromFile(from: string, data: ImageSet,
  o: { classifier?: string; model?: string; names?: { features?: string; classifier?: string } } = {}): Promise<StartingModel> {
  const { classifier, model } = o;
  if (model?.startsWith('torchscript:') || model?.startsWith('export:')) {
    const spec = parseModelName(model, data, o.names);
    // --from the network's own file: its weights are already in the model.
    if ((spec.kind === 'torchScript' || spec.kind === 'exported') && path.resolve(from) === path.resolve(spec.file)) {
      return { spec, source: from, load: async () => undefined };
    }
  }
  // A .pt2 is a network, not weights for another --model ('export:' is the option that takes it).
  const pt2 = model?.startsWith('export:') ? undefined : pt2ArchiveFile(from);
  if (pt2) throw new UsageError(pt2Refusal(from, 'weights for --model', pt2));
  if (classifier !== undefined || (await isTorchSave(from))) {
    if (model === undefined) throw new UsageError(`${from} is a torch.save file: give its architecture with --model (e.g. wrn-28-10)`);
    const spec = parseModelName(model, data, o.names);
    const source = classifier === undefined ? from : { features: from, classifier };
    return { spec, source: classifier === undefined ? from : `${from} + ${classifier}`, load: (t) => t.importPyTorch(source) };
  }
  const { info } = await readCheckpoint(from, 'pof');
  const spec = info.model ?? (model !== undefined ? parseModelName(model, data, o.names) : undefined);
  if (!spec) throw new UsageError(`${from} does not record its model: give it with --model`);
  if (model !== undefined && JSON.stringify(parseModelName(model, data, o.names)) !== JSON.stringify(spec)) {
    throw new UsageError(`--model ${model} differs from the model recorded in ${from} (${JSON.stringify(spec)})`);
  }
  return { spec, source: from, load: async (t) => { checkFits(t, data, from); await t.load(from); } };
}

/**
 * A model for another dataset would load fine and then fail (or mislead) on every batch: the model itself
 * says whether it takes the data's examples and labels, and it must predict the data's classes.
 */
function checkFits(trainer: PoFTrainer, data: ImageSet, from: string): void {
  trainer.checkFits(data, `the model in ${from}`, 'data');
  const classes = trainer.model.numClasses;
  if (classes !== data.numClasses) {
    throw new UsageError(`the model in ${from} predicts ${classes} classes; ${data.name} has ${data.numClasses}`);
  }
}
