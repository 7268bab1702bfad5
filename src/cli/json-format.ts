/**
 * JSON text for the numbers the CLI prints.
 *
 * Embeddings and scores are float32 values. Each is printed as the shortest decimal (at most 9
 * significant digits) that converts back to the same float32, e.g. `0.49284962` rather than the
 * float64 expansion `0.4928496181964874`. Read as a float64 it lies within half a float32 ulp of
 * the exact value; rounded to float32 (`Math.fround`, `numpy.float32`) it is bit-identical.
 * Numbers that are not float32 values are printed as JavaScript prints doubles; integers
 * (ids, int8 / uint8 codes) as integers; NaN and ±Infinity, which JSON cannot hold, as `null`.
 */

const MIN_NORMAL_F32 = 2 ** -126;

/**
 * Shortest decimal that round-trips through float32.
 *
 * @example
 * formatFloat32(Math.fround(0.1)); // "0.1"
 * formatFloat32(Math.fround(0.4928496181964874)); // "0.49284962"
 */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x)) return "null";
  if (Math.fround(x) !== x) return JSON.stringify(x);
  if (Number.isInteger(x) && Math.abs(x) < 2 ** 24) return String(x);
  // A normal float32 is within 2^-24 (relative) of any shorter decimal that rounds to it, so 6
  // digits already reproduce every representation of 1 to 6 digits; subnormals start from 1.
  for (let p = Math.abs(x) < MIN_NORMAL_F32 ? 1 : 6; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return String(v);
  }
  return String(Number(x.toPrecision(9)));
}

/** A JSON array of numbers: float32 formatting for a Float32Array, integers for integer arrays. */
export function formatNumberArray(values: ArrayLike<number>): string {
  const fmt = values instanceof Float32Array ? formatFloat32 : formatNumber;
  let out = "[";
  for (let i = 0; i < values.length; i++) out += (i ? "," : "") + fmt(values[i] as number);
  return out + "]";
}

/** Any JS number: float32 formatting when it is a float32 value, JSON otherwise. */
export function formatNumber(x: number): string {
  return Number.isInteger(x) ? (Number.isFinite(x) ? String(x) : "null") : formatFloat32(x);
}

/** One search / rank hit as compact JSON: `{"corpus_id":3,"score":0.5001245}`. */
export function formatHit(hit: { corpusId: number; score: number; text?: string }): string {
  const text = hit.text === undefined ? "" : `,"text":${JSON.stringify(hit.text)}`;
  return `{"corpus_id":${hit.corpusId},"score":${formatFloat32(hit.score)}${text}}`;
}
