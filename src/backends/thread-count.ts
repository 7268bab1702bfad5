/**
 * The one rule for a thread count given by a user (`--threads`, `SBERT_THREADS`): a whole number
 * from 1 (0 where the caller has a meaning for it) to `MAX_THREADS`. Far more threads than cores
 * only makes ONNX Runtime (or the server's worker pool) spend minutes creating threads.
 *
 * @example
 * parseThreadCount("4"); // 4
 * parseThreadCount("20000"); // throws: expected an integer from 1 to 256, got "20000"
 */

/** The most threads a command accepts (serve has used this bound since it had --threads). */
export const MAX_THREADS = 256;

/** `raw` as an integer in `min`..`MAX_THREADS`; otherwise throws an Error whose message says the range. */
export function parseThreadCount(raw: string, min: 0 | 1 = 1): number {
  const n = /^\+?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > MAX_THREADS) throw new Error(`expected an integer from ${min} to ${MAX_THREADS}, got "${raw}"`);
  return n;
}
