// Checkpoint file formats: safetensors (read/write), torch.save zip archives (read), state-dict
// loading and matching, and atomic file replacement.
export * from './tensor-data';
export { writeFileAtomic, AtomicWriteOptions } from './atomic';
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, SafetensorsContents, SafetensorsMetadata } from './safetensors';
export { decodeTorchCheckpoint, loadTorchCheckpoint, TorchLoadOptions } from './pytorch';
export { loadStateDict, extractStateDict, stripPrefix, StateDict, StateDictSource, LoadStateDictOptions, STATE_DICT_KEYS } from './state-dict';
export { matchStateDict, stateDictMismatches, StateDictMismatchOptions } from './match-state-dict';
