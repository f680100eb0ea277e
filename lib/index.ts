// pof-torch: the public API.
import * as models from './models';
import * as schedules from './schedules';
import { fromArrays } from './data/from-arrays';
import { toy } from './data/toy';

export { tensor, fromBuffer, Tensor } from './tensor';
export { versions, cudaAvailable, devices, manualSeed, info, Versions } from './device';
export type { Dtype } from './native';
export { PoFTrainer } from './trainer';
export type { TrainerOptions, PerformanceOptions, FitOptions, PostTrainOptions, EpochReport, StepReport, TrainingResult, StateDict, TensorEntry } from './trainer';
export type { ImageSet, DatasetSplits, Normalization, Augmentation } from './data/types';
export type { ModelSpec } from './models';
export type { Schedule } from './schedules';
export { OptionError } from './options';
export { lineSearch } from './analysis/line-search';
export type { LineSearchInput, LineSearchResult } from './analysis/line-search';
export { models, schedules };
export const datasets = { fromArrays, toy };
