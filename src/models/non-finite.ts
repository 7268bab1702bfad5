/**
 * Model outputs must be finite: a NaN or ±Infinity in an embedding or a score is refused with
 * `NON_FINITE_OUTPUT` naming the rows, instead of being written as JSON `null` (or quantized into
 * a plausible-looking byte) and reported as success.
 *
 * @example
 * requireFiniteRows(emb.data, emb.dim(-1), indices, "encode"); // throws when a row holds NaN
 */
import { SbertError } from "../errors.js";

/** How many row numbers a message lists. */
const SHOWN = 5;

/**
 * Throws `NON_FINITE_OUTPUT` when any row of `data` (rows of `width` values; row r is input
 * `indices[r]`) holds NaN or ±Infinity. `what` names the call (`encode`, `CrossEncoder.predict`).
 */
export function requireFiniteRows(data: ArrayLike<number>, width: number, indices: readonly number[], what: string): void {
  let bad: number[] | undefined;
  for (let r = 0; r < indices.length; r++) {
    for (let c = r * width, end = c + width; c < end; c++) {
      if (!Number.isFinite(data[c] as number)) {
        (bad ??= []).push(indices[r] as number);
        break;
      }
    }
  }
  if (bad) throw nonFiniteError(bad, what);
}

/** The error for inputs `rows` (original indices) whose outputs are not finite. */
export function nonFiniteError(rows: readonly number[], what: string): SbertError {
  const sorted = [...rows].sort((a, b) => a - b);
  const shown = sorted.slice(0, SHOWN).join(", ");
  const more = sorted.length > SHOWN ? ` and ${sorted.length - SHOWN} more` : "";
  return new SbertError(
    "NON_FINITE_OUTPUT",
    `${what}: the model produced NaN or infinite values for input ${sorted.length === 1 ? "row" : "rows"} ${shown}${more} (rows from 0). ` +
      "The likely cause is NaN or infinite weights in the model file, or an overflow in a float16 / quantized ONNX graph; " +
      "check the weights (e.g. re-export or re-download the model) or try the other backend.",
  );
}
