// vega lays out titles, legends and axis labels from text widths. Without a canvas it guesses
// 0.8 em per character, which is far too wide: figures came out with empty space to the right of
// long subtitles. These are the advance widths (in em) of DejaVu Sans, the widest of the families
// in the figures' font stack, so the layout never leaves too little room whichever one is used.

/** Advance widths of DejaVu Sans, characters U+0020..U+007E. */
const REGULAR = [
  0.318, 0.401, 0.460, 0.838, 0.636, 0.950, 0.780, 0.275, 0.390, 0.390, 0.500, 0.838, 0.318, 0.361, 0.318, 0.337,
  0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.337, 0.337, 0.838, 0.838, 0.838, 0.531,
  1.000, 0.684, 0.686, 0.698, 0.770, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748, 0.787,
  0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, 0.390, 0.337, 0.390, 0.838, 0.500,
  0.500, 0.613, 0.635, 0.550, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612,
  0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, 0.636, 0.337, 0.636, 0.838,
];

/** Advance widths of DejaVu Sans Bold, characters U+0020..U+007E. */
const BOLD = [
  0.348, 0.456, 0.521, 0.838, 0.696, 1.002, 0.872, 0.306, 0.457, 0.457, 0.523, 0.838, 0.380, 0.415, 0.380, 0.365,
  0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.400, 0.400, 0.838, 0.838, 0.838, 0.580,
  1.000, 0.774, 0.762, 0.734, 0.830, 0.683, 0.683, 0.821, 0.837, 0.372, 0.372, 0.775, 0.637, 0.995, 0.837, 0.850,
  0.733, 0.850, 0.770, 0.720, 0.682, 0.812, 0.774, 1.103, 0.771, 0.724, 0.725, 0.457, 0.365, 0.457, 0.838, 0.500,
  0.500, 0.675, 0.716, 0.593, 0.716, 0.678, 0.435, 0.716, 0.712, 0.343, 0.343, 0.665, 0.343, 1.042, 0.712, 0.687,
  0.716, 0.716, 0.493, 0.595, 0.478, 0.712, 0.652, 0.924, 0.645, 0.652, 0.582, 0.712, 0.365, 0.712, 0.838,
];

/** Greek letters, math signs and the like: about the width of DejaVu's capitals. */
const OTHER_REGULAR = 0.7;
const OTHER_BOLD = 0.78;

function isBold(weight: unknown): boolean {
  if (typeof weight === 'number') return weight >= 600;
  return typeof weight === 'string' && (weight === 'bold' || weight === 'bolder' || Number(weight) >= 600);
}

/** Width in pixels of `text` at `fontSize` px. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? BOLD : REGULAR;
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    em += code >= 0x20 && code <= 0x7e ? table[code - 0x20] : bold ? OTHER_BOLD : OTHER_REGULAR;
  }
  return em * fontSize;
}

/** A text item as vega's scenegraph hands it to its width function. */
interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

/** vega's `textMetrics.width`: the item's (or the given line's) width, capped at its truncation limit. */
export function vegaTextWidth(item: TextItem, line?: unknown): number {
  const text = String(line ?? item.text ?? '').trim();
  const fontSize = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const width = textWidth(text, fontSize, isBold(item.fontWeight));
  return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
}
