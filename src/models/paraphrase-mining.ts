import { type ShowProgressBar } from "../progress.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type ParaphraseMiningOptions, paraphraseMiningEmbeddings } from "../util/index.js";
import type { SentenceTransformer } from "./sentence-transformer.js";

/** `paraphraseMining(model, …)` options: the encode batch size and progress bar, then the mining options. */
export interface ParaphraseMiningModelOptions extends ParaphraseMiningOptions {
  /** Texts per encode batch (default 32). */
  batchSize?: number;
  /** Draw a bar while the sentences are embedded, on stderr (`true`) or on a given stream. */
  showProgressBar?: ShowProgressBar;
}

const KEYS = optionKeys<ParaphraseMiningModelOptions>({
  batchSize: true,
  showProgressBar: true,
  queryChunkSize: true,
  corpusChunkSize: true,
  maxPairs: true,
  topK: true,
  scoreFunction: true,
});

/**
 * Python's `util.paraphrase_mining(model, sentences)`: embeds the sentences, then returns
 * [score, i, j] pairs (i < j) by descending cosine similarity (or `scoreFunction`).
 *
 * @example
 * await paraphraseMining(model, sentences, { topK: 5, showProgressBar: true }); // [[0.98, 2, 7], ...]
 */
export async function paraphraseMining(model: SentenceTransformer, sentences: readonly string[], opts: ParaphraseMiningModelOptions = {}): Promise<[number, number, number][]> {
  checkOptions(opts, KEYS, "paraphraseMining");
  const { batchSize, showProgressBar, ...mining } = opts;
  const embeddings = await model.encode(sentences, { ...(batchSize === undefined ? {} : { batchSize }), ...(showProgressBar === undefined ? {} : { showProgressBar }) });
  return paraphraseMiningEmbeddings(embeddings, mining);
}
