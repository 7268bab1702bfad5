/**
 * What every evaluator shares: the `Evaluator` contract, the model shapes evaluators call, metric-key
 * prefixing as Python's `prefix_name_to_metrics`, and input checks.
 *
 * Evaluators take any object with the methods they call (a `SentenceTransformer`, a `CrossEncoder`,
 * or a stand-in in tests), so they depend on the public model API only.
 */
import { SbertError } from "../errors.js";
import type { EncodeOptions } from "../models/sentence-transformer.js";
import type { ShowProgressBar } from "../progress.js";
import { DenseMatrix } from "../tensor/dense.js";
import { SIMILARITY_FUNCTION_NAMES, isSimilarityFunctionName, type SimilarityFunctionName } from "../util/index.js";

/**
 * An evaluator: data fixed at construction, `evaluate(model)` returns metrics keyed as in Python
 * (prefixed with `name_` when a name is given).
 *
 * @example
 * const ev = new EmbeddingSimilarityEvaluator(s1, s2, gold, { name: "sts-dev" });
 * const metrics = await ev.evaluate(model); // { "sts-dev_pearson_cosine": 0.87, "sts-dev_spearman_cosine": 0.88 }
 * metrics[ev.primaryMetric]; // "sts-dev_spearman_cosine"
 */
export interface Evaluator<M> {
  readonly name: string;
  /**
   * Key of the metric used to pick the best checkpoint, prefixed like the returned keys. Where it
   * depends on the model (its similarity function), it is final after `evaluate`; before, it
   * assumes cosine.
   */
  readonly primaryMetric: string;
  /** Higher primary metric is better (true for every evaluator here, as in Python). */
  readonly greaterIsBetter: boolean;
  evaluate(model: M): Promise<Record<string, number>>;
}

/** The part of `SentenceTransformer` the embedding evaluators use. */
export interface SentenceEncoder {
  /** "cosine", "dot", "euclidean" or "manhattan". */
  readonly similarityFnName: string;
  encode(texts: readonly string[], opts: EncodeOptions): Promise<unknown>;
}

/** A `SentenceEncoder` with the query / document entry points (prompts), as the IR evaluator uses. */
export interface QueryDocumentEncoder extends SentenceEncoder {
  encodeQuery(texts: readonly string[], opts: EncodeOptions): Promise<unknown>;
  encodeDocument(texts: readonly string[], opts: EncodeOptions): Promise<unknown>;
}

/** The part of `CrossEncoder` the cross-encoder evaluators use. */
export interface PairScorer {
  readonly numLabels: number;
  predict(pairs: readonly (readonly [string, string])[], opts: { batchSize?: number; showProgressBar?: ShowProgressBar }): Promise<Float32Array | DenseMatrix>;
}

/**
 * Python's `prefix_name_to_metrics`: `name_key` for every key (keys unchanged for an empty name).
 * @example prefixNameToMetrics({ spearman_cosine: 0.8 }, "sts-dev"); // { "sts-dev_spearman_cosine": 0.8 }
 */
export function prefixNameToMetrics(metrics: Readonly<Record<string, number>>, name: string): Record<string, number> {
  if (!name) return { ...metrics };
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) out[`${name}_${k}`] = v;
  return out;
}

/** The primary metric key with the evaluator's name prefix, as Python stores it. */
export function prefixedKey(key: string, name: string): string {
  return name && !key.startsWith(`${name}_`) ? `${name}_${key}` : key;
}

/** Float32 embeddings for `texts` from any encode-like call, checked to be one row per text. */
export async function embedTexts(encode: (texts: readonly string[], opts: EncodeOptions) => Promise<unknown>, texts: readonly string[], opts: EncodeOptions): Promise<DenseMatrix> {
  const out = await encode(texts, opts);
  if (!(out instanceof DenseMatrix) || !(out.data instanceof Float32Array) || out.rows !== texts.length) {
    throw new SbertError("INVALID_OPERATION", `the model returned no float32 matrix of ${texts.length} embeddings; evaluators need float32 sentence embeddings`);
  }
  return out as DenseMatrix;
}

/** `{ batchSize, truncateDim?, showProgressBar? }` without undefined members. */
export function encodeOptions(batchSize: number, truncateDim: number | undefined, showProgressBar?: ShowProgressBar): EncodeOptions {
  return { batchSize, ...(truncateDim === undefined ? {} : { truncateDim }), ...(showProgressBar === undefined ? {} : { showProgressBar }) };
}

export function requireTexts(texts: unknown, what: string): readonly string[] {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) {
    throw new SbertError("INVALID_INPUT", `${what} must be a list of strings`);
  }
  return texts as readonly string[];
}

export function requireNonEmpty(n: number, what: string): void {
  if (n === 0) throw new SbertError("INVALID_INPUT", `${what} is empty; an evaluator needs at least one example`);
}

export function requireSameLength(lengths: Readonly<Record<string, number>>): void {
  const entries = Object.entries(lengths);
  const [firstName, first] = entries[0]!;
  for (const [name, len] of entries) {
    if (len !== first) throw new SbertError("INVALID_INPUT", `${name} has ${len} entries but ${firstName} has ${first}; pass one per example`);
  }
}

export function requirePositiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new SbertError("INVALID_INPUT", `${what} must be an integer ≥ 1, got ${value}`);
  return value;
}

export function requireNumbers(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values as ArrayLike<unknown>, (v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new SbertError("INVALID_INPUT", `${what}[${i}] must be a finite number, got ${String(v)}`);
    return v;
  });
  return out;
}

/** Checks similarity function names (unknown names are an error, not silently skipped). */
export function requireSimilarityNames(names: readonly string[], what: string): SimilarityFunctionName[] {
  return names.map((n) => {
    if (!isSimilarityFunctionName(n)) {
      throw new SbertError("INVALID_INPUT", `${what}: unknown similarity function ${JSON.stringify(n)}; use one of ${SIMILARITY_FUNCTION_NAMES.join(", ")}`);
    }
    return n;
  });
}

/** The similarity functions an evaluator computes: its own `names`, else the model's `similarityFnName`. */
export function similarityNamesFor(names: readonly SimilarityFunctionName[], model: SentenceEncoder): readonly SimilarityFunctionName[] {
  return names.length ? names : requireSimilarityNames([model.similarityFnName], "model.similarityFnName");
}

/** Python's `max(values)`: the largest, scanning in order (a NaN in front stays, a NaN later is skipped). */
export function maxOf(values: readonly number[]): number {
  let best = values[0]!;
  for (const v of values.slice(1)) if (v > best) best = v;
  return best;
}
