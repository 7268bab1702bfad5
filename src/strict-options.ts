/**
 * Strict options objects: every public options type rejects keys it does not know, as Python
 * sentence-transformers ≥ 5.2 rejects unknown keyword arguments, and suggests the nearest valid
 * key (`normalize` → `normalizeEmbeddings`, `batch_size` → `batchSize`).
 *
 * @example
 * const ENCODE_KEYS = optionKeys<EncodeOptions>({ batchSize: true, normalizeEmbeddings: true, ... });
 * checkOptions(opts, ENCODE_KEYS, "encode");
 */
import { SbertError } from "./errors.js";

/**
 * The key set of an options type. The record must list every key of `T` (a missing one or an extra
 * one is a compile error), so the run-time check cannot drift from the type.
 */
export function optionKeys<T extends object>(keys: { [K in keyof Required<T>]: true }): ReadonlySet<string> {
  return new Set(Object.keys(keys));
}

/**
 * Throws `INVALID_INPUT` when `opts` has an own enumerable key outside `allowed` (keys whose value is
 * `undefined` count too: a misspelt key is a mistake whatever its value). `where` names the call
 * (`"encode"`, `"CrossEncoder.predict"`) in the message. `opts` that is not a plain object (an
 * array, a string) is refused as well; `undefined` / `null` are no options.
 */
export function checkOptions(opts: unknown, allowed: ReadonlySet<string>, where: string): void {
  if (opts === undefined || opts === null) return;
  if (typeof opts !== "object" || Array.isArray(opts)) {
    throw new SbertError("INVALID_INPUT", `${where}: options must be an object such as { ${[...allowed].slice(0, 2).join(", ")} }, got ${Array.isArray(opts) ? "an array" : typeof opts}.`);
  }
  for (const key of Object.keys(opts)) {
    if (allowed.has(key)) continue;
    const near = nearestKey(key, allowed);
    const hint = near === undefined ? `Valid options: ${[...allowed].sort().join(", ")}.` : `Did you mean "${near}"?`;
    throw new SbertError("INVALID_INPUT", `${where}: unknown option "${key}". ${hint}`);
  }
}

/** `batch_size` / `batch-size` → `batchSize`. */
function camelCase(key: string): string {
  return key.replace(/[_-]+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Levenshtein distance, case-insensitive. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length] as number;
}

/**
 * The valid key a user most likely meant: the camelCase spelling of a snake_case key; else a valid
 * key that starts with it or that it starts with (`normalize` → `normalizeEmbeddings`); else the
 * closest by edit distance when that is at most a third of the key's length (at least 2).
 */
export function nearestKey(key: string, allowed: ReadonlySet<string>): string | undefined {
  const camel = camelCase(key);
  for (const k of allowed) if (k.toLowerCase() === camel.toLowerCase()) return k;
  const lower = camel.toLowerCase();
  const prefixed = [...allowed].filter((k) => lower.length >= 3 && (k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())));
  if (prefixed.length > 0) return prefixed.sort((a, b) => Math.abs(a.length - camel.length) - Math.abs(b.length - camel.length))[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of allowed) {
    const d = editDistance(camel, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(camel.length / 3)) ? best : undefined;
}
