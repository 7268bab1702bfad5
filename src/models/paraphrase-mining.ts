import { paraphraseMiningEmbeddings } from "../util/index.js";
import type { SentenceTransformer } from "./sentence-transformer.js";

export interface ParaphraseMiningOptions {
  batchSize?: number;
  queryChunkSize?: number;
  corpusChunkSize?: number;
  maxPairs?: number;
  topK?: number;
}

/**
 * Python's `util.paraphrase_mining(model, sentences)`: embeds the sentences, then returns
 * [score, i, j] pairs (i < j) by descending cosine similarity.
 */
export async function paraphraseMining(model: SentenceTransformer, sentences: readonly string[], opts: ParaphraseMiningOptions = {}): Promise<[number, number, number][]> {
  const { batchSize, ...mining } = opts;
  const embeddings = await model.encode(sentences, batchSize === undefined ? {} : { batchSize });
  return paraphraseMiningEmbeddings(embeddings, mining);
}
