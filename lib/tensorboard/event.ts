// TensorBoard's Event and Summary messages, reduced to what pof-torch writes: scalars and PNG images.
// Field numbers of tensorboard/compat/proto/event.proto and summary.proto (checked against tensorboard 2.21):
//   Event: wall_time 1 (double), step 2 (int64), file_version 3 (string), summary 5 (Summary)
//   Summary: value 1 (repeated Value); Value: tag 1, simple_value 2 (float), image 4 (Image)
//   Image: height 1, width 2, colorspace 3 (int32), encoded_image_string 4 (bytes)
import { ProtoField, ProtoWriter, readFields } from './protobuf';

/** What the first event of every file says: the format version, "brain.Event:" + 2 (TensorBoard's current one). */
export const FILE_VERSION = 'brain.Event:2';

export interface ScalarSummary {
  tag: string;
  /** Stored as a float32. */
  value: number;
}

export interface ImageSummary {
  tag: string;
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  colorspace: number;
  /** The encoded image (PNG). */
  encoded: Uint8Array;
}

export interface TensorBoardEvent {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: ScalarSummary[];
  images?: ImageSummary[];
}

const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5 };
const SUMMARY = { value: 1 };
const VALUE = { tag: 1, simpleValue: 2, image: 4 };
const IMAGE = { height: 1, width: 2, colorspace: 3, encoded: 4 };

export function encodeEvent(event: TensorBoardEvent): Buffer {
  const message = new ProtoWriter().double(EVENT.wallTime, event.wallTime).uint(EVENT.step, event.step);
  if (event.fileVersion !== undefined) message.string(EVENT.fileVersion, event.fileVersion);
  const values = [
    ...(event.scalars ?? []).map((s) => new ProtoWriter().string(VALUE.tag, s.tag).float(VALUE.simpleValue, s.value)),
    ...(event.images ?? []).map((i) => new ProtoWriter().string(VALUE.tag, i.tag).message(VALUE.image, new ProtoWriter()
      .uint(IMAGE.height, i.height).uint(IMAGE.width, i.width).uint(IMAGE.colorspace, i.colorspace).bytes(IMAGE.encoded, i.encoded))),
  ];
  if (values.length > 0) {
    const summary = new ProtoWriter();
    for (const value of values) summary.message(SUMMARY.value, value);
    message.message(EVENT.summary, summary);
  }
  return message.finish();
}

/** The fields of `message` numbered `field`, which must have been written with a length (strings, bytes, messages). */
function delimited(fields: ProtoField[], field: number): Buffer[] {
  return fields.filter((f) => f.field === field).map((f) => {
    if (!f.bytes) throw new RangeError(`protobuf: field ${field} is not length-delimited`);
    return f.bytes;
  });
}

function varintOf(fields: ProtoField[], field: number): number {
  return fields.filter((f) => f.field === field).at(-1)?.varint ?? 0;
}

/** An event as encodeEvent writes it (other fields, e.g. a graph, are skipped); a malformed one is a RangeError. */
export function decodeEvent(bytes: Buffer): TensorBoardEvent {
  const fields = readFields(bytes);
  const wallTime = fields.filter((f) => f.field === EVENT.wallTime).at(-1)?.bytes?.readDoubleLE(0) ?? 0;
  const event: TensorBoardEvent = { wallTime, step: varintOf(fields, EVENT.step) };
  const version = delimited(fields, EVENT.fileVersion).at(-1);
  if (version) event.fileVersion = version.toString('utf8');
  for (const summary of delimited(fields, EVENT.summary)) {
    for (const value of delimited(readFields(summary), SUMMARY.value)) {
      const v = readFields(value);
      const tag = delimited(v, VALUE.tag).at(-1)?.toString('utf8') ?? '';
      const simple = v.filter((f) => f.field === VALUE.simpleValue).at(-1)?.bytes;
      if (simple) (event.scalars ??= []).push({ tag, value: simple.readFloatLE(0) });
      for (const image of delimited(v, VALUE.image)) {
        const i = readFields(image);
        (event.images ??= []).push({ tag, height: varintOf(i, IMAGE.height), width: varintOf(i, IMAGE.width),
          colorspace: varintOf(i, IMAGE.colorspace), encoded: delimited(i, IMAGE.encoded).at(-1) ?? Buffer.alloc(0) });
      }
    }
  }
  return event;
}

/** The tags an event's summary holds. */
export function tagsOf(event: TensorBoardEvent): string[] {
  return [...(event.scalars ?? []), ...(event.images ?? [])].map((s) => s.tag);
}
