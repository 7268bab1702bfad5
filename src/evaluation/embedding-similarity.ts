/**
 * `EmbeddingSimilarityEvaluator`: how well embedding similarity tracks gold similarity scores
 * (STS-B style), as Pearson and Spearman correlations per similarity function.
 */
import { SbertError } from "../errors.js";
import { type ShowProgressBar } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { DenseMatrix } from "../tensor/dense.js";
import { pairwiseSimilarityFunction, type SimilarityFunctionName } from "../util/index.js";
import {
  type Evaluator,
  type SentenceEncoder,
  embedTexts,
  encodeOptions,
  maxOf,
  prefixNameToMetrics,
  prefixedKey,
  requireNumbers,
  requirePositiveInt,
  requireSameLength,
  requireSimilarityNames,
  similarityNamesFor,
  requireTexts,
} from "./evaluator.js";
import { pearson, spearman } from "./stats.js";

export interface EmbeddingSimilarityEvaluatorOptions {
  /** Prefix of every metric key (e.g. "sts-dev"). */
  name?: string;
  /** Texts per encode batch (default 16, as Python). */
  batchSize?: number;
  /** The function whose Spearman is the primary metric; also the only one computed when `similarityFnNames` is not given. */
  mainSimilarity?: SimilarityFunctionName;
  /** Functions to compute; default: the model's `similarityFnName`. */
  similarityFnNames?: readonly SimilarityFunctionName[];
  /** Keep only the first N embedding dimensions (Matryoshka). */
  truncateDim?: number;
  /** Draw a bar while embedding (texts, texts/s, ETA) on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<EmbeddingSimilarityEvaluatorOptions>({ name: true, batchSize: true, mainSimilarity: true, similarityFnNames: true, truncateDim: true, showProgressBar: true });

/**
 * Pure core: `pearson_<fn>` and `spearman_<fn>` of the row-wise similarity of (emb1[i], emb2[i])
 * against `gold`, for each function in order, plus `pearson_max` / `spearman_max` when several are
 * given. Similarities are float32 as in Python; euclidean and manhattan are negative distances.
 * Constant similarities or gold scores give NaN (scipy's value).
 *
 * @example
 * embeddingSimilarityMetrics(e1, e2, [0.2, 0.9, 0.5], ["cosine"]); // { pearson_cosine: …, spearman_cosine: … }
 */
export function embeddingSimilarityMetrics(
  emb1: DenseMatrix,
  emb2: DenseMatrix,
  gold: ArrayLike<number>,
  similarityFnNames: readonly SimilarityFunctionName[],
): Record<string, number> {
  if (emb1.rows !== gold.length || emb2.rows !== gold.length) {
    throw new SbertError("INVALID_INPUT", `embeddingSimilarityMetrics: ${emb1.rows} and ${emb2.rows} embeddings for ${gold.length} gold scores`);
  }
  if (similarityFnNames.length === 0) throw new SbertError("INVALID_INPUT", "embeddingSimilarityMetrics: name at least one similarity function");
  const metrics: Record<string, number> = {};
  for (const fn of similarityFnNames) {
    const sims = pairwiseSimilarityFunction(fn)(emb1, emb2);
    metrics[`pearson_${fn}`] = pearson(gold, sims);
    metrics[`spearman_${fn}`] = spearman(gold, sims);
  }
  if (similarityFnNames.length > 1) {
    metrics["pearson_max"] = maxOf(similarityFnNames.map((fn) => metrics[`pearson_${fn}`]!));
    metrics["spearman_max"] = maxOf(similarityFnNames.map((fn) => metrics[`spearman_${fn}`]!));
  }
  return metrics;
}

/**
 * Embeds both sentence lists and reports Pearson and Spearman of their similarities against the gold
 * scores. Primary metric: `spearman_<mainSimilarity>`, else `spearman_max` with several functions,
 * else `spearman_<the one function>` (e.g. "sts-dev_spearman_cosine").
 *
 * @example
 * const ev = new EmbeddingSimilarityEvaluator(data.sentences1, data.sentences2, data.scores, { name: "sts-dev" });
 * (await ev.evaluate(model))[ev.primaryMetric];
 */
export class EmbeddingSimilarityEvaluator implements Evaluator<SentenceEncoder> {
  readonly sentences1: readonly string[];
  readonly sentences2: readonly string[];
  readonly scores: Float64Array;
  readonly name: string;
  readonly batchSize: number;
  readonly mainSimilarity: SimilarityFunctionName | undefined;
  readonly similarityFnNames: readonly SimilarityFunctionName[];
  readonly truncateDim: number | undefined;
  readonly greaterIsBetter = true;
  primaryMetric: string;

  private readonly showProgressBar: ShowProgressBar | undefined;

  constructor(sentences1: readonly string[], sentences2: readonly string[], scores: ArrayLike<number>, opts: EmbeddingSimilarityEvaluatorOptions = {}) {
    checkOptions(opts, KEYS, "EmbeddingSimilarityEvaluator");
    this.showProgressBar = opts.showProgressBar;
    this.sentences1 = requireTexts(sentences1, "sentences1");
    this.sentences2 = requireTexts(sentences2, "sentences2");
    this.scores = requireNumbers(scores, "scores");
    requireSameLength({ sentences1: this.sentences1.length, sentences2: this.sentences2.length, scores: this.scores.length });
    if (this.scores.length < 2) throw new SbertError("INVALID_INPUT", `EmbeddingSimilarityEvaluator needs at least 2 pairs to compute a correlation, got ${this.scores.length}`);
    this.name = opts.name ?? "";
    this.batchSize = requirePositiveInt(opts.batchSize ?? 16, "batchSize");
    this.truncateDim = opts.truncateDim === undefined ? undefined : requirePositiveInt(opts.truncateDim, "truncateDim");
    this.mainSimilarity = opts.mainSimilarity === undefined ? undefined : requireSimilarityNames([opts.mainSimilarity], "mainSimilarity")[0];
    const names = requireSimilarityNames(opts.similarityFnNames ?? [], "similarityFnNames");
    this.similarityFnNames = names.length === 0 && this.mainSimilarity ? [this.mainSimilarity] : names;
    if (this.mainSimilarity && !this.similarityFnNames.includes(this.mainSimilarity)) {
      throw new SbertError("INVALID_INPUT", `mainSimilarity "${this.mainSimilarity}" is not among similarityFnNames (${this.similarityFnNames.join(", ")})`);
    }
    this.primaryMetric = prefixedKey(this.primaryKey(this.similarityFnNames.length ? this.similarityFnNames : ["cosine"]), this.name);
  }

  async evaluate(model: SentenceEncoder): Promise<Record<string, number>> {
    const names = similarityNamesFor(this.similarityFnNames, model);
    const opts = encodeOptions(this.batchSize, this.truncateDim, this.showProgressBar);
    const emb1 = await embedTexts((t, o) => model.encode(t, o), this.sentences1, opts);
    const emb2 = await embedTexts((t, o) => model.encode(t, o), this.sentences2, opts);
    const metrics = embeddingSimilarityMetrics(emb1, emb2, this.scores, names);
    this.primaryMetric = prefixedKey(this.primaryKey(names), this.name);
    return prefixNameToMetrics(metrics, this.name);
  }

  private primaryKey(names: readonly SimilarityFunctionName[]): string {
    if (this.mainSimilarity) return `spearman_${this.mainSimilarity}`;
    return names.length > 1 ? "spearman_max" : `spearman_${names[0]}`;
  }
}
