import { SbertError } from "../errors.js";

/**
 * Indices ordered by descending length (stable for ties), as sentence-transformers orders inputs
 * so that each batch holds texts of similar length and pads little.
 */
export function lengthSortedOrder(lengths: readonly number[]): number[] {
  return lengths.map((_, i) => i).sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b);
}

/** Python's `len(text)`: the number of code points. */
export function textLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
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
