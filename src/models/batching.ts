import { SbertError } from "../errors.js";

/**
 * Indices ordered by descending length (stable for ties), so that each batch holds inputs of
 * similar length and pads little. sentence-transformers sorts by characters; we sort by token
 * count (the texts are tokenized once anyway), which pads less. Results do not depend on the
 * order beyond float32 reassociation (batch-equals-single tests).
 */
export function lengthSortedOrder(lengths: readonly number[]): number[] {
  return lengths.map((_, i) => i).sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b);
}

/**
 * Batches of row indices for inputs of `lengths` tokens: rows ordered by descending length, each
 * batch at most `batchSize` rows and, when `maxBatchTokens` is given, at most that many padded
 * tokens (rows × longest row) — so long inputs get smaller batches and memory stays bounded.
 * A single row longer than the budget still gets a batch of its own.
 */
export function planBatches(lengths: readonly number[], batchSize: number, maxBatchTokens?: number): number[][] {
  const order = lengthSortedOrder(lengths);
  if (maxBatchTokens === undefined) return chunks(order, batchSize);
  const out: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const i of order) {
    const len = lengths[i] as number;
    const nextLongest = Math.max(longest, len);
    if (current.length > 0 && (current.length >= batchSize || nextLongest * (current.length + 1) > maxBatchTokens)) {
      out.push(current);
      current = [];
      longest = 0;
    }
    current.push(i);
    longest = Math.max(longest, len);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Share of padded positions in a plan: 1 − real tokens / (Σ rows × longest row). */
export function paddingFraction(lengths: readonly number[], batches: readonly number[][]): number {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    let longest = 0;
    for (const i of b) {
      real += lengths[i] as number;
      longest = Math.max(longest, lengths[i] as number);
    }
    padded += longest * b.length;
  }
  return padded === 0 ? 0 : 1 - real / padded;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Validates a positive integer option such as batchSize. */
export function requirePositiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new SbertError("INVALID_INPUT", `${name} must be a positive integer, got ${value}`);
  return value;
}

/** Validates that `texts` is a list of strings, naming the first bad index. */
export function requireStrings(texts: readonly unknown[], what = "texts"): asserts texts is readonly string[] {
  if (!Array.isArray(texts)) throw new SbertError("INVALID_INPUT", `${what} must be a string or a list of strings`);
  texts.forEach((t, i) => {
    if (typeof t !== "string") throw new SbertError("INVALID_INPUT", `${what}[${i}] must be a string, got ${t === null ? "null" : typeof t}`);
  });
}
