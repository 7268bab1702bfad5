/**
 * `sbert search` on a sparse (SPLADE) model: queries through the query route (`encodeQuery`), the
 * corpus through the document route (`encodeDocument`), scored by the dot product as sparse
 * retrieval is (sentence-transformers' `SparseEncoder.similarity` default), top-k as
 * `sparseSemanticSearch`. The output lines are `sbert search`'s.
 */
import { SbertError } from "../../errors.js";
import type { EncodeInput } from "../../models/multimodal-encode.js";
import { SparseEncoder } from "../../models/sparse-encoder.js";
import { sparseSemanticSearch } from "../../util/sparse-embeddings.js";
import { type CliIo, writeOutputLines } from "../io.js";
import { formatHit } from "../json-format.js";
import type { CliModelOptions } from "../model.js";

export interface SparseSearchOptions extends CliModelOptions {
  output: string;
  topK: number;
  batchSize: number;
  queryPromptName?: string;
  corpusPromptName?: string;
}

export async function searchSparse(dir: string, opts: SparseSearchOptions, queries: readonly EncodeInput[], corpus: readonly EncodeInput[], io: CliIo): Promise<void> {
  const backend = { ...(opts.backend !== undefined ? { backend: opts.backend } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.onnxFile !== undefined ? { onnxFile: opts.onnxFile } : {}) };
  const model = await SparseEncoder.load(dir, backend);
  try {
    if (queries.length === 0) return await writeOutputLines(opts.output, [], io);
    const q = await model.encodeQuery(textsOnly(queries), { batchSize: opts.batchSize, ...(opts.queryPromptName !== undefined ? { promptName: opts.queryPromptName } : {}) });
    const c = await model.encodeDocument(textsOnly(corpus), { batchSize: opts.batchSize, ...(opts.corpusPromptName !== undefined ? { promptName: opts.corpusPromptName } : {}) });
    const hits = sparseSemanticSearch(q, c, { topK: opts.topK, scoreFunction: "dot" });
    await writeOutputLines(opts.output, hits.map((list) => `[${list.map(formatHit).join(",")}]`), io);
  } finally {
    await model.dispose();
  }
}

function textsOnly(items: readonly EncodeInput[]): string[] {
  if (items.some((x) => typeof x !== "string")) throw new SbertError("INVALID_INPUT", `a sparse model reads text only; the input has an {"image": ...} line`);
  return items as string[];
}
