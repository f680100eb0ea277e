// TensorBoard event files, written without TensorFlow: TFRecord framing, the Event/Summary messages, a writer.
export { crc32c, maskedCrc32c } from './crc32c';
export { frameRecord, readRecords } from './tfrecord';
export type { RecordScan } from './tfrecord';
export { decodeEvent, encodeEvent, FILE_VERSION, tagsOf } from './event';
export type { ImageSummary, ScalarSummary, TensorBoardEvent } from './event';
export { eventFileName, listEventFiles, removeEventFiles } from './event-files';
export { EventWriter } from './writer';
export { pngImage } from './image';
export { epochScalars, scalarNames, scalarSummaries, tagOf } from './scalars';
export { dropEventsAfter } from './resume';
