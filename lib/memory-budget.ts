// How much memory a model, a batch and a dataset need, estimated from their sizes before anything is
// allocated, and the check of an estimate against what the device has. A size the machine cannot hold is
// then a DeviceError naming the estimate and what to lower, not a failure mid-run or the kernel's OOM
// killer (Linux overcommits: a huge allocation can succeed and kill the process once it is touched).
// These are estimates (within a small factor), so that only sizes far beyond the machine are refused.
import { native } from './addon';
import { DeviceError } from './errors';
import type { DataKind } from './data/types';
import type { ModelSpec } from './models';

const FLOAT = 4;
/** Copies of the parameters a run keeps: weights, gradients, momentum, SAM's or PoF's saved weights and step. */
const TRAINING_COPIES = 5;
/**
 * Feature maps a WideResNet block keeps per example for backward (two BN inputs and outputs, two ReLU and two
 * convolution outputs); the gradients backward makes are freed layer by layer, so they add little.
 */
const MAPS_PER_BLOCK = 8;

/** Parameters of a built-in network (a user's TorchScript or exported model has them in its file: 0 here). */
export function parameterCount(spec: ModelSpec): number {
  if (spec.kind === 'mlp') {
    const widths = [spec.inputDim, ...spec.hidden, spec.numClasses];
    return widths.slice(1).reduce((sum, out, i) => sum + (widths[i] + 1) * out, 0);
  }
  if (spec.kind === 'wideResNet') {
    const n = (spec.depth - 4) / 6;
    const stages = [16, 16 * spec.widen, 32 * spec.widen, 64 * spec.widen];
    let count = 9 * spec.inputChannels * stages[0];
    for (let g = 1; g <= 3; g += 1) {
      const [input, out] = [stages[g - 1], stages[g]];
      // The first block widens (with a 1x1 shortcut); each block: BN, 3x3 conv, BN, 3x3 conv.
      count += 2 * input + 9 * input * out + input * out + 2 * out + 9 * out * out;
      count += (n - 1) * (4 * out + 18 * out * out);
    }
    return count + 2 * stages[3] + (stages[3] + 1) * spec.numClasses;
  }
  return 0;
}

/** A model in training: its parameters, their gradients, the optimizer's state and the methods' copies. */
export function modelBytes(spec: ModelSpec): number {
  return parameterCount(spec) * FLOAT * TRAINING_COPIES;
}

/**
 * The activations of one training batch (`example`: one example's shape): for a WideResNet the sum of its
 * feature maps, layer by layer; for an MLP its layers' outputs; for a user's (TorchScript or exported) model only the input
 * (its own layers are unknown here).
 */
export function batchBytes(spec: ModelSpec, batchSize: number, example: number[]): number {
  const values = example.reduce((a, b) => a * b, 1);
  let perExample = values;
  if (spec.kind === 'mlp') {
    perExample += 3 * spec.hidden.reduce((a, b) => a + b, 0) + spec.numClasses;
  } else if (spec.kind === 'wideResNet' && example.length === 3) {
    const n = (spec.depth - 4) / 6;
    const pixels = example[1] * example[2];
    const stages = [16, 16 * spec.widen, 32 * spec.widen, 64 * spec.widen];
    perExample += stages[0] * pixels;
    // Each group after the first halves the height and the width.
    for (let g = 1; g <= 3; g += 1) perExample += n * MAPS_PER_BLOCK * stages[g] * Math.ceil(pixels / 4 ** (g - 1));
  }
  return perExample * batchSize * FLOAT;
}

/** Bytes per input value as the native dataset holds each kind: uint8 pixels, float32 values, int64 token ids. */
export const BYTES_PER_VALUE = { pixels: 1, values: 4, tokens: 8 } as const satisfies Record<DataKind, number>;

/** A dataset held in memory: `examples` of `values` each, `bytesPerValue` bytes each (BYTES_PER_VALUE), and an int32 label. */
export function datasetBytes(examples: number, values: number, bytesPerValue: number): number {
  return examples * (values * bytesPerValue + 4);
}

/** What `device` can hold in bytes (CPU: its memory, or the container's limit; CUDA: free memory); undefined if unknown. */
export function deviceMemory(device: string): number | undefined {
  return native.deviceMemory(device) ?? undefined;
}

/** "16.0 GB", "512.0 MB", as the native side writes sizes. */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A DeviceError when the estimate exceeds what the device has: "where: <what> needs about X but cpu has Y; <lower>". */
export function checkFitsDevice(where: string, bytes: number, device: string, what: string, lower: string): void {
  const have = deviceMemory(device);
  if (have === undefined || bytes <= have) return;
  throw new DeviceError(`${where}: ${what} needs about ${formatBytes(bytes)} (an estimate) but ${device} has ` +
    `${formatBytes(have)}${device.startsWith('cuda') ? ' free' : ''}; ${lower}`);
}

/** The model in training (parameters, gradients, optimizer state) fits the device. */
export function checkModelFits(where: string, spec: ModelSpec, device: string): void {
  checkFitsDevice(where, modelBytes(spec), device, `the ${spec.kind} model with its gradients and optimizer state`,
    spec.kind === 'mlp' ? 'lower hidden or inputDim, or use a device with more memory'
      : 'lower depth or widen, or use a device with more memory');
}

/** The model and its largest training batch of examples shaped `example` fit the device. */
export function checkTrainingFits(where: string, spec: ModelSpec, device: string, batchSize: number, example: number[]): void {
  checkFitsDevice(where, modelBytes(spec) + batchBytes(spec, batchSize, example), device,
    `training the ${spec.kind} model on batches of ${batchSize} examples of [${example.join(', ')}]`,
    'lower batchSize, the model\'s width or the image size, or use a device with more memory');
}
