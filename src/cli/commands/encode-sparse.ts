/**
 * `sbert encode` on a sparse model (SPLADE, inference-free): one `{"indices":[...],"values":[...]}`
 * line per text, indices ascending, in input order; `--max-active-dims`, `--task query|document`.
 */
import { SbertError } from "../../errors.js";
import { SparseEncoder, type SparseEncodeOptions } from "../../models/sparse-encoder.js";
import { progressStream } from "../../progress.js";
import type { SparseEmbeddings } from "../../util/sparse-embeddings.js";
import { UsageError } from "../errors.js";
import type { CliIo, LineSink } from "../io.js";
import { formatNumberArray } from "../json-format.js";
import type { CliModelOptions } from "../model.js";
import { type StreamedTexts, chunkProgress } from "../streamed-texts.js";

export interface SparseCliOptions extends CliModelOptions {
  model: string;
  batchSize: number;
  promptName?: string;
  prompt?: string;
  maxActiveDims?: number;
  task?: "query" | "document";
}


/** Encodes every chunk through the task's route and writes its rows. */
export async function encodeSparse(dir: string, opts: SparseCliOptions, io: CliIo, texts: StreamedTexts, out: LineSink): Promise<void> {
  const backend = { ...(opts.backend !== undefined ? { backend: opts.backend } : {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.onnxFile !== undefined ? { onnxFile: opts.onnxFile } : {}) };
  const model = await SparseEncoder.load(dir, backend);
  try {
    const dim = model.getEmbeddingDimension(opts.task);
    if (opts.maxActiveDims !== undefined && opts.maxActiveDims > dim) throw new UsageError(`--max-active-dims ${opts.maxActiveDims} is larger than the model's vocabulary (${dim} dimensions)`);
    if (opts.promptName !== undefined) usage(() => model.promptText(opts.promptName), "--prompt-name");
    if (texts.empty) return;
    const encodeOpts: SparseEncodeOptions = {
      batchSize: opts.batchSize,
      ...(opts.maxActiveDims !== undefined ? { maxActiveDims: opts.maxActiveDims } : {}),
      ...(opts.promptName !== undefined ? { promptName: opts.promptName } : {}),
      ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
    };
    const progress = chunkProgress(progressStream(io), "encode", texts.total, "texts");
    for await (const chunk of texts.chunks) {
      progress.read(chunk.length);
      const e = await usageAsync(() => (opts.task === "query" ? model.encodeQuery(chunk, encodeOpts) : opts.task === "document" ? model.encodeDocument(chunk, encodeOpts) : model.encode(chunk, encodeOpts)), "--task");
      await out.writeLines(sparseLines(e));
      progress.done(chunk.length);
    }
    progress.finish();
  } finally {
    await model.dispose();
  }
}

/** `{"indices":[3,17],"values":[0.25,1.5]}` per row. */
export function* sparseLines(e: SparseEmbeddings): Generator<string> {
  for (let r = 0; r < e.rows; r++) {
    const { indices, values } = e.row(r);
    yield `{"indices":${formatNumberArray(indices)},"values":${formatNumberArray(values)}}`;
  }
}

function usage<T>(fn: () => T, flag: string): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof SbertError && e.code === "INVALID_INPUT" ? new UsageError(`${flag}: ${e.message}`) : e;
  }
}

async function usageAsync<T>(fn: () => Promise<T>, flag: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof SbertError && e.code === "INVALID_INPUT" && /route/.test(e.message) ? new UsageError(`${flag}: ${e.message}`) : e;
  }
}
