/**
 * `sbert encode --task query|document` and `sbert rank` on a multi-vector (ColBERT) model
 * (config_sentence_transformers.json `model_type: "MultiVectorEncoder"`): encode writes one JSON
 * array of token vectors per text (the scored tokens, in position order); rank scores documents
 * against the query with the model's MaxSim, best first. encode.ts / rank.ts hand over here.
 */
import type { EncodeTask } from "../../models/multi-vector-encoder.js";
import { MultiVectorEncoder } from "../../models/multi-vector-encoder.js";
import { progressStream } from "../../progress.js";
import { UsageError } from "../errors.js";
import { type CliIo, type InputFormat, type LineSink, readTexts, writeOutputLines } from "../io.js";
import { formatHit, formatNumberArray } from "../json-format.js";
import type { CliModelOptions } from "../model.js";
import { type StreamedTexts, chunkProgress } from "../streamed-texts.js";

interface MultiVectorEncodeCli extends CliModelOptions {
  input: string;
  output: string;
  inputFormat?: InputFormat;
  batchSize: number;
  task?: string;
  normalize?: boolean;
  promptName?: string;
  prompt?: string;
  truncateDim?: number;
  precision: string;
  outputValue: string;
  chunkSize?: number;
}

/** `sbert encode` on a multi-vector model in `dir`: one `[[...], ...]` line per text of `texts`, in input order. */
export async function encodeMultiVector(dir: string, opts: MultiVectorEncodeCli, texts: StreamedTexts, out: LineSink, io: CliIo): Promise<void> {
  if (opts.task !== "query" && opts.task !== "document") {
    throw new UsageError("this is a multi-vector (ColBERT) model: pass --task query or --task document (queries are expanded to a fixed length, documents drop punctuation)");
  }
  if (opts.truncateDim !== undefined || opts.precision !== "float32" || opts.outputValue !== "sentence_embedding") {
    throw new UsageError("--truncate-dim, --precision and --output-value do not apply to a multi-vector model, which always writes its token vectors");
  }
  const task: EncodeTask = opts.task;
  const model = await MultiVectorEncoder.load(dir, loadOptions(opts));
  try {
    if (opts.promptName !== undefined) model.promptText(opts.promptName); // an unknown name fails before any text is read
    if (texts.empty) return;
    const progress = chunkProgress(progressStream(io), "encode", texts.total, "texts");
    const encodeOpts = {
      batchSize: opts.batchSize,
      ...(opts.normalize ? { normalizeEmbeddings: true } : {}),
      ...(opts.promptName !== undefined ? { promptName: opts.promptName } : {}),
      ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
    };
    for await (const chunk of texts.chunks) {
      progress.read(chunk.length);
      const perText = task === "query" ? await model.encodeQuery(chunk, encodeOpts) : await model.encodeDocument(chunk, encodeOpts);
      await out.writeLines(perText.map((m) => `[${Array.from({ length: m.rows }, (_, r) => formatNumberArray(m.row(r))).join(",")}]`));
      progress.done(chunk.length);
    }
    progress.finish();
  } finally {
    await model.dispose();
  }
}

/** The `sbert rank` options every ranking model reads (rank.ts adds the cross-encoder's). */
export interface MultiVectorRankCli extends CliModelOptions {
  query: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
  topK?: number;
  batchSize: number;
  returnDocuments?: boolean;
}

/** `sbert rank` on a multi-vector model in `dir`: MaxSim of the query against every document, best first. */
export async function rankMultiVector(dir: string, opts: MultiVectorRankCli, io: CliIo): Promise<void> {
  const docs = await readTexts(opts.input, opts.inputFormat, io);
  const model = await MultiVectorEncoder.load(dir, loadOptions(opts));
  try {
    if (docs.length === 0) return writeOutputLines(opts.output, [], io);
    const hits = await model.rank(opts.query, docs, {
      batchSize: opts.batchSize,
      showProgressBar: progressStream(io),
      ...(opts.topK !== undefined ? { topK: opts.topK } : {}),
      ...(opts.returnDocuments ? { returnDocuments: true } : {}),
    });
    return writeOutputLines(opts.output, hits.map(formatHit), io);
  } finally {
    await model.dispose();
  }
}

function loadOptions(opts: CliModelOptions): { backend?: "auto" | "onnx" | "native"; threads?: number; onnxFile?: string } {
  return {
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.onnxFile !== undefined ? { onnxFile: opts.onnxFile } : {}),
  };
}
