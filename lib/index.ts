// pof-torch: the public API.
import { exported, mlp, parseModelName, torchScript, wideResNet } from './models';
import { constant, cosine, multistep } from './schedules';
import { fromArrays } from './data/from-arrays';
import { fromNpy } from './data/from-npy';
import { imageFolder } from './data/image-folder';
import { prepare } from './data/prepare';
import { prepared } from './data/prepared';
import { imagenetAugmentation } from './data/resized-crop';
import { subset } from './data/subset';
import { cifar10, cifar100, fashionMnist, mnist, svhn, toy } from './data/readers';
import { toyBayesError } from './data/toy';
import { downloadDataset } from './download/download-dataset';

export { tensor, fromBuffer, Tensor } from './tensor';
export { versions, cudaAvailable, devices, manualSeed, info, Versions } from './device';
export type { AnyTypedArray, Dtype, LoadedAddon } from './native';
export type { BuildInfo, LinkedLibTorch } from './build-info';
export { PoFTrainer } from './trainer';
export type { DeviceName } from './defaults';
export type { TrainerOptions, PerformanceOptions, FitOptions, PostTrainOptions, EvaluateOptions, Evaluation, ClassEvaluation, EpochReport, StepReport, TrainingResult, StateDict, TensorEntry, SaveOptions, CheckpointInfo, CheckpointTarget } from './trainer';
export type { CheckpointKind, PhaseName } from './checkpoint/training-checkpoint';
export type { InputPipeline } from './data/input-pipeline';
export type { DivergenceAction } from './trainer/divergence';
export type { StateDictSource } from './checkpoint/state-dict';
export type { ArraySet, ArrayInputs, Augmentation, DataKind, DatasetSplits, ImageSet, Normalization, ResizedCrop, StoredInputs, StoredSet } from './data/types';
export type { FromArraysOptions } from './data/from-arrays';
export type { FromNpyOptions } from './data/from-npy';
export type { ImageFolderOptions, ImageFolderSet, ImageFolderProgress, SkippedImage } from './data/image-folder';
export type { PrepareOptions } from './data/prepare';
export type { PreparedManifest } from './data/store-format';
export type { Cifar100Options, SvhnOptions, ToyOptions } from './data/readers';
export type { DownloadOptions, DownloadProgress, DownloadedFile } from './download/download-dataset';
export type { Catalogue, RemoteFile, ArchiveMember, DownloadableDataset } from './download/catalogue';
export { OFFICIAL_CATALOGUE } from './download/catalogue';
export type { ModelSpec } from './models';
export type { DistributedSetting, DistributedOptions, JobPlace } from './distributed';
export type { Schedule } from './schedules';
export { PoFError, OptionError, DatasetError, CheckpointError, DeviceError, BusyError, NonFiniteError, FileError, DisposedError,
  DistributedError, DownloadError, UnsupportedError } from './errors';
export type { PoFErrorCode } from './errors';
export { lineSearch } from './analysis/line-search';
export type { LineSearchInput, LineSearchResult } from './analysis/line-search';
export * as analysis from './analysis';
export { studyPoF, ARMS as STUDY_ARMS } from './study';
export type { StudyOptions, StudyResult, ArmRun, ArmSummary, Comparison, Arm as StudyArm } from './study';
/** The networks: each returns a ModelSpec for `new PoFTrainer({ model })`. */
export const models = { mlp, wideResNet, exported, torchScript, parseModelName };
/** Learning-rate schedules for fit and postTrain (`schedule`). */
export const schedules = { constant, multistep, cosine };
/**
 * Readers of the standard downloads and generators: each returns `{ train, test }` for PoFTrainer (fromArrays and
 * fromNpy: one split, from typed arrays or NumPy files; imageFolder: one split, from a folder of images, one subfolder
 * per class; prepare: the same decoded once into a prepared store on disk; prepared: a store opened as a split left on
 * disk, read a batch at a time; imagenetAugmentation: torchvision's crop and flip for large images);
 * `download(name, dir)` fetches a dataset's official files into `dir`, verified, for its reader.
 */
export const datasets = {
  fromArrays, fromNpy, imageFolder, prepare, prepared, imagenetAugmentation, subset, toy, toyBayesError, cifar10, cifar100, svhn,
  fashionMnist, mnist, download: downloadDataset,
};
