/**
 * `InformationRetrievalEvaluator`: embeds queries and a corpus, retrieves each query's best corpus
 * entries and scores them against relevance judgements (see `irMetrics` for the definitions).
 */
import { SbertError } from "../errors.js";
import { type ShowProgressBar } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import type { EncodeOptions } from "../models/sentence-transformer.js";
import type { DenseMatrix } from "../tensor/dense.js";
import { type ScoreFunction, type SimilarityFunctionName, similarityFunction } from "../util/index.js";
import { type Evaluator, type QueryDocumentEncoder, embedTexts, prefixNameToMetrics, prefixedKey, requirePositiveInt, requireSimilarityNames } from "./evaluator.js";
import { DEFAULT_IR_CUTOFFS, type IrCutoffs, type IrHit, TopKCollector, irMetrics, normalizeCutoffs } from "./ir-metrics.js";

/** id → text. A `Map` keeps insertion order for every id; a plain object lists integer-like keys first. */
export type IdTexts = ReadonlyMap<string, string> | Readonly<Record<string, string>>;
/** query id → ids of its relevant corpus entries. */
export type RelevantDocs = ReadonlyMap<string, Iterable<string>> | Readonly<Record<string, Iterable<string>>>;

export interface InformationRetrievalEvaluatorOptions extends Partial<IrCutoffs> {
  name?: string;
  /** Texts per encode batch (default 32). */
  batchSize?: number;
  /** Corpus entries embedded and scored at once (default 50000). Results do not depend on it. */
  corpusChunkSize?: number;
  /** name → (queries × d, corpus × d) → scores; default: the model's similarity function under its name. */
  scoreFunctions?: Readonly<Record<string, ScoreFunction>>;
  /** Makes `<fn>_ndcg@<max k>` the primary metric instead of the best-scoring function's. */
  mainScoreFunction?: SimilarityFunctionName;
  truncateDim?: number;
  queryPrompt?: string;
  queryPromptName?: string;
  corpusPrompt?: string;
  corpusPromptName?: string;
  /** Draw a bar while embedding the queries and each corpus chunk, on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<InformationRetrievalEvaluatorOptions>({
  accuracyAtK: true,
  precisionRecallAtK: true,
  mrrAtK: true,
  ndcgAtK: true,
  mapAtK: true,
  name: true,
  batchSize: true,
  corpusChunkSize: true,
  scoreFunctions: true,
  mainScoreFunction: true,
  truncateDim: true,
  queryPrompt: true,
  queryPromptName: true,
  corpusPrompt: true,
  corpusPromptName: true,
  showProgressBar: true,
});

/**
 * Queries are encoded with `encodeQuery`, the corpus chunk by chunk with `encodeDocument` (so the
 * model's "query" / "document" prompts apply unless prompts are given). Queries without relevant
 * documents are skipped, as in Python. Metric keys are `<fn>_<metric>@<k>`, e.g. `cosine_ndcg@10`;
 * the primary metric is NDCG at the largest NDCG cutoff of `mainScoreFunction`, else of the score
 * function that scores best on it (the first in name order on ties).
 *
 * @example
 * const ev = new InformationRetrievalEvaluator(queries, corpus, relevantDocs, { name: "cranfield" });
 * (await ev.evaluate(model))["cranfield_cosine_ndcg@10"];
 */
export class InformationRetrievalEvaluator implements Evaluator<QueryDocumentEncoder> {
  readonly queryIds: readonly string[];
  readonly queries: readonly string[];
  readonly corpusIds: readonly string[];
  readonly corpus: readonly string[];
  readonly relevantDocs: ReadonlyMap<string, ReadonlySet<string>>;
  readonly cutoffs: IrCutoffs;
  readonly name: string;
  readonly batchSize: number;
  readonly corpusChunkSize: number;
  readonly greaterIsBetter = true;
  primaryMetric: string;
  private readonly opts: InformationRetrievalEvaluatorOptions;
  private readonly mainScoreFunction: SimilarityFunctionName | undefined;

  constructor(queries: IdTexts, corpus: IdTexts, relevantDocs: RelevantDocs, opts: InformationRetrievalEvaluatorOptions = {}) {
    checkOptions(opts, KEYS, "InformationRetrievalEvaluator");
    const rel = new Map<string, ReadonlySet<string>>();
    for (const [qid, ids] of entries(relevantDocs, "relevantDocs")) {
      if (ids === null || typeof ids !== "object" || !(Symbol.iterator in ids) || typeof ids === "string") {
        throw new SbertError("INVALID_INPUT", `relevantDocs["${qid}"] must be a set or list of corpus ids`);
      }
      rel.set(qid, new Set(Array.from(ids, String)));
    }
    const q = entries(queries, "queries").filter(([qid]) => (rel.get(qid)?.size ?? 0) > 0);
    if (q.length === 0) throw new SbertError("INVALID_INPUT", "no query has a relevant document; relevantDocs must map query ids to corpus ids");
    const c = entries(corpus, "corpus");
    if (c.length === 0) throw new SbertError("INVALID_INPUT", "the corpus is empty");
    for (const [id, text] of [...q, ...c]) if (typeof text !== "string") throw new SbertError("INVALID_INPUT", `text of "${id}" must be a string`);
    this.queryIds = q.map(([id]) => id);
    this.queries = q.map(([, t]) => t);
    this.corpusIds = c.map(([id]) => id);
    this.corpus = c.map(([, t]) => t);
    this.relevantDocs = rel;
    this.cutoffs = normalizeCutoffs({ ...DEFAULT_IR_CUTOFFS, ...definedCutoffs(opts) });
    this.name = opts.name ?? "";
    this.batchSize = requirePositiveInt(opts.batchSize ?? 32, "batchSize");
    this.corpusChunkSize = requirePositiveInt(opts.corpusChunkSize ?? 50000, "corpusChunkSize");
    if (opts.truncateDim !== undefined) requirePositiveInt(opts.truncateDim, "truncateDim");
    this.mainScoreFunction = opts.mainScoreFunction === undefined ? undefined : requireSimilarityNames([opts.mainScoreFunction], "mainScoreFunction")[0];
    if (opts.scoreFunctions !== undefined) {
      const names = Object.keys(opts.scoreFunctions);
      if (names.length === 0) throw new SbertError("INVALID_INPUT", "scoreFunctions is empty; leave it out to use the model's similarity");
      for (const n of names) if (typeof opts.scoreFunctions[n] !== "function") throw new SbertError("INVALID_INPUT", `scoreFunctions.${n} must be a function`);
    }
    this.opts = opts;
    const initialFn = this.mainScoreFunction ?? (opts.scoreFunctions ? Object.keys(opts.scoreFunctions).sort()[0] : "cosine");
    this.primaryMetric = prefixedKey(`${initialFn}_ndcg@${this.maxNdcgK()}`, this.name);
  }

  async evaluate(model: QueryDocumentEncoder): Promise<Record<string, number>> {
    const scoreFunctions = this.opts.scoreFunctions ?? { [model.similarityFnName]: similarityFunction(model.similarityFnName) };
    const byName = await this.retrieve(model, scoreFunctions);
    const relevant = this.queryIds.map((id) => this.relevantDocs.get(id)!);
    const scores = new Map<string, Record<string, number>>();
    for (const [fn, hits] of byName) scores.set(fn, irMetrics(hits.map((h) => h.map((x) => x.corpusId)), relevant, this.cutoffs));

    const ndcgKey = `ndcg@${this.maxNdcgK()}`;
    let primaryFn = this.mainScoreFunction as string | undefined;
    if (primaryFn === undefined) {
      for (const fn of [...scores.keys()].sort()) if (primaryFn === undefined || scores.get(fn)![ndcgKey]! > scores.get(primaryFn)![ndcgKey]!) primaryFn = fn;
    }
    this.primaryMetric = prefixedKey(`${primaryFn}_${ndcgKey}`, this.name);

    const metrics: Record<string, number> = {};
    for (const [fn, values] of scores) for (const [k, v] of Object.entries(values)) metrics[`${fn}_${k}`] = v;
    return prefixNameToMetrics(metrics, this.name);
  }

  /**
   * Each score function's hits per query (best first, at most the largest cutoff), retrieving the
   * corpus chunk by chunk.
   */
  async retrieve(model: QueryDocumentEncoder, scoreFunctions: Readonly<Record<string, ScoreFunction>>): Promise<Map<string, IrHit[][]>> {
    const maxK = Math.max(...Object.values(this.cutoffs).flat());
    const queryEmb = await embedTexts((t, o) => model.encodeQuery(t, o), this.queries, this.encodeOpts(this.opts.queryPrompt, this.opts.queryPromptName));
    const collectors = new Map(Object.keys(scoreFunctions).map((fn) => [fn, new TopKCollector(this.queries.length, maxK, this.corpusIds)]));
    const docOpts = this.encodeOpts(this.opts.corpusPrompt, this.opts.corpusPromptName);
    for (let start = 0; start < this.corpus.length; start += this.corpusChunkSize) {
      const chunk = this.corpus.slice(start, start + this.corpusChunkSize);
      const chunkEmb = await embedTexts((t, o) => model.encodeDocument(t, o), chunk, docOpts);
      for (const [fn, score] of Object.entries(scoreFunctions)) collectors.get(fn)!.add(checkScores(score(queryEmb, chunkEmb), queryEmb, chunkEmb, fn), start);
    }
    return new Map([...collectors].map(([fn, c]) => [fn, c.hits()]));
  }

  private maxNdcgK(): number {
    return Math.max(...this.cutoffs.ndcgAtK);
  }

  private encodeOpts(prompt: string | undefined, promptName: string | undefined): EncodeOptions {
    const o: EncodeOptions = { batchSize: this.batchSize };
    if (this.opts.showProgressBar !== undefined) o.showProgressBar = this.opts.showProgressBar;
    if (this.opts.truncateDim !== undefined) o.truncateDim = this.opts.truncateDim;
    if (prompt !== undefined) o.prompt = prompt;
    if (promptName !== undefined) o.promptName = promptName;
    return o;
  }
}

function entries<T>(m: ReadonlyMap<string, T> | Readonly<Record<string, T>>, what: string): [string, T][] {
  if (m instanceof Map) return [...(m as ReadonlyMap<string, T>).entries()];
  if (m === null || typeof m !== "object") throw new SbertError("INVALID_INPUT", `${what} must be a Map or an object keyed by id`);
  return Object.entries(m as Readonly<Record<string, T>>);
}

function definedCutoffs(opts: Partial<IrCutoffs>): Partial<IrCutoffs> {
  const out: Partial<IrCutoffs> = {};
  for (const key of Object.keys(DEFAULT_IR_CUTOFFS) as (keyof IrCutoffs)[]) {
    const v = opts[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function checkScores(s: DenseMatrix, q: DenseMatrix, c: DenseMatrix, fn: string): DenseMatrix {
  if (s.rows !== q.rows || s.cols !== c.rows) {
    throw new SbertError("INVALID_INPUT", `score function "${fn}" returned ${s.rows} × ${s.cols} scores for ${q.rows} queries × ${c.rows} corpus entries`);
  }
  return s;
}
