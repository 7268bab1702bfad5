/**
 * `TripletEvaluator`: how often an anchor is more similar to its positive than to its negative.
 */
import { SbertError } from "../errors.js";
import { type ShowProgressBar } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import type { DenseMatrix } from "../tensor/dense.js";
import { pairwiseSimilarityFunction, type SimilarityFunctionName } from "../util/index.js";
import {
  type Evaluator,
  type SentenceEncoder,
  embedTexts,
  encodeOptions,
  maxOf,
  prefixNameToMetrics,
  prefixedKey,
  requireNonEmpty,
  requirePositiveInt,
  requireSameLength,
  requireSimilarityNames,
  similarityNamesFor,
  requireTexts,
} from "./evaluator.js";

export interface TripletEvaluatorOptions {
  name?: string;
  /** Texts per encode batch (default 16, as Python). */
  batchSize?: number;
  /**
   * Makes `<fn>_accuracy` the primary metric; alone, also the only function computed (Python would
   * then compute the model's function and report a primary metric it never computed).
   */
  mainSimilarityFunction?: SimilarityFunctionName;
  /**
   * How much more similar the positive must be: one value for every function, or per function
   * (missing ones 0). Default 0.
   */
  margin?: number | Partial<Record<SimilarityFunctionName, number>>;
  /** Functions to compute; default: the model's `similarityFnName`. */
  similarityFnNames?: readonly SimilarityFunctionName[];
  truncateDim?: number;
  /** Draw a bar while embedding (texts, texts/s, ETA) on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<TripletEvaluatorOptions>({
  name: true,
  batchSize: true,
  mainSimilarityFunction: true,
  margin: true,
  similarityFnNames: true,
  truncateDim: true,
  showProgressBar: true,
});

/**
 * Pure core: the share of triplets with sim(anchor, positive) > sim(anchor, negative) + margin, as
 * Python computes it in float32 (`(pos > neg + margin).float().mean()`, so 2 of 3 gives
 * 0.6666666865348816). Euclidean and manhattan similarities are negative distances.
 */
export function tripletAccuracy(anchors: DenseMatrix, positives: DenseMatrix, negatives: DenseMatrix, similarityFn: SimilarityFunctionName, margin = 0): number {
  if (anchors.rows !== positives.rows || anchors.rows !== negatives.rows) {
    throw new SbertError("INVALID_INPUT", `tripletAccuracy: ${anchors.rows} anchors, ${positives.rows} positives, ${negatives.rows} negatives`);
  }
  if (anchors.rows === 0) throw new SbertError("INVALID_INPUT", "tripletAccuracy: no triplets");
  const fn = pairwiseSimilarityFunction(similarityFn);
  const pos = fn(anchors, positives);
  const neg = fn(anchors, negatives);
  const m = Math.fround(margin);
  let correct = 0;
  for (let i = 0; i < pos.length; i++) if (pos[i]! > Math.fround(neg[i]! + m)) correct++;
  return Math.fround(correct / pos.length);
}

/**
 * Embeds anchors, positives and negatives and reports `<fn>_accuracy` per similarity function
 * (plus `max_accuracy` with several). Primary metric: `<mainSimilarityFunction>_accuracy`, else
 * `max_accuracy` with several functions, else `<fn>_accuracy`.
 *
 * @example
 * const ev = new TripletEvaluator(anchors, positives, negatives, { name: "nli-dev" });
 * (await ev.evaluate(model))["nli-dev_cosine_accuracy"];
 */
export class TripletEvaluator implements Evaluator<SentenceEncoder> {
  readonly anchors: readonly string[];
  readonly positives: readonly string[];
  readonly negatives: readonly string[];
  readonly name: string;
  readonly batchSize: number;
  readonly mainSimilarityFunction: SimilarityFunctionName | undefined;
  readonly margin: Readonly<Record<SimilarityFunctionName, number>>;
  readonly similarityFnNames: readonly SimilarityFunctionName[];
  readonly truncateDim: number | undefined;
  readonly greaterIsBetter = true;
  primaryMetric: string;

  private readonly showProgressBar: ShowProgressBar | undefined;

  constructor(anchors: readonly string[], positives: readonly string[], negatives: readonly string[], opts: TripletEvaluatorOptions = {}) {
    checkOptions(opts, KEYS, "TripletEvaluator");
    this.showProgressBar = opts.showProgressBar;
    this.anchors = requireTexts(anchors, "anchors");
    this.positives = requireTexts(positives, "positives");
    this.negatives = requireTexts(negatives, "negatives");
    requireSameLength({ anchors: this.anchors.length, positives: this.positives.length, negatives: this.negatives.length });
    requireNonEmpty(this.anchors.length, "the dataset");
    this.name = opts.name ?? "";
    this.batchSize = requirePositiveInt(opts.batchSize ?? 16, "batchSize");
    this.truncateDim = opts.truncateDim === undefined ? undefined : requirePositiveInt(opts.truncateDim, "truncateDim");
    this.mainSimilarityFunction =
      opts.mainSimilarityFunction === undefined ? undefined : requireSimilarityNames([opts.mainSimilarityFunction], "mainSimilarityFunction")[0];
    const names = requireSimilarityNames(opts.similarityFnNames ?? [], "similarityFnNames");
    this.similarityFnNames = names.length === 0 && this.mainSimilarityFunction ? [this.mainSimilarityFunction] : names;
    if (this.mainSimilarityFunction && !this.similarityFnNames.includes(this.mainSimilarityFunction)) {
      throw new SbertError("INVALID_INPUT", `mainSimilarityFunction "${this.mainSimilarityFunction}" is not among similarityFnNames (${this.similarityFnNames.join(", ")})`);
    }
    this.margin = parseMargin(opts.margin);
    this.primaryMetric = prefixedKey(this.primaryKey(this.similarityFnNames.length ? this.similarityFnNames : ["cosine"]), this.name);
  }

  async evaluate(model: SentenceEncoder): Promise<Record<string, number>> {
    const opts = encodeOptions(this.batchSize, this.truncateDim, this.showProgressBar);
    const encode = (t: readonly string[], o: typeof opts): Promise<unknown> => model.encode(t, o);
    const a = await embedTexts(encode, this.anchors, opts);
    const p = await embedTexts(encode, this.positives, opts);
    const n = await embedTexts(encode, this.negatives, opts);
    const names = similarityNamesFor(this.similarityFnNames, model);
    const metrics: Record<string, number> = {};
    for (const fn of names) metrics[`${fn}_accuracy`] = tripletAccuracy(a, p, n, fn, this.margin[fn]);
    if (names.length > 1) metrics["max_accuracy"] = maxOf(Object.values(metrics));
    this.primaryMetric = prefixedKey(this.primaryKey(names), this.name);
    return prefixNameToMetrics(metrics, this.name);
  }

  private primaryKey(names: readonly SimilarityFunctionName[]): string {
    if (this.mainSimilarityFunction) return `${this.mainSimilarityFunction}_accuracy`;
    return names.length > 1 ? "max_accuracy" : `${names[0]}_accuracy`;
  }
}

function parseMargin(margin: TripletEvaluatorOptions["margin"]): Record<SimilarityFunctionName, number> {
  const out: Record<SimilarityFunctionName, number> = { cosine: 0, dot: 0, manhattan: 0, euclidean: 0 };
  if (margin === undefined) return out;
  if (typeof margin === "number") {
    if (!Number.isFinite(margin)) throw new SbertError("INVALID_INPUT", `margin must be a finite number, got ${margin}`);
    return { cosine: margin, dot: margin, manhattan: margin, euclidean: margin };
  }
  if (typeof margin !== "object" || margin === null) throw new SbertError("INVALID_INPUT", "margin must be a number or an object keyed by similarity function");
  for (const [k, v] of Object.entries(margin)) {
    const [fn] = requireSimilarityNames([k], "margin");
    if (typeof v !== "number" || !Number.isFinite(v)) throw new SbertError("INVALID_INPUT", `margin.${k} must be a finite number`);
    out[fn!] = v;
  }
  return out;
}
