// Checkpoint file formats: safetensors (read/write), torch.save zip archives (read), state-dict
// loading and matching, atomic file replacement, and the trainer's checkpoint files.
export * from './tensor-data';
export { writeFileAtomic, AtomicWriteOptions } from './atomic';
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, SafetensorsContents, SafetensorsMetadata } from './safetensors';
export { decodeTorchCheckpoint, loadTorchCheckpoint, TorchLoadOptions } from './pytorch';
export { loadStateDict, extractStateDict, stripPrefix, StateDict, StateDictSource, LoadStateDictOptions, STATE_DICT_KEYS } from './state-dict';
export { matchStateDict, stateDictMismatches, StateDictMismatchOptions } from './match-state-dict';
export { readCheckpoint, writeCheckpoint, CheckpointInfo, CheckpointKind, CheckpointContents, CheckpointTarget } from './training-checkpoint';
