import { type Command, Option } from "commander";
import { tmpdir } from "node:os";
import { dirname } from "node:path";
import type { EncodeOptions, Precision, SentenceTransformer } from "../../models/sentence-transformer.js";
import type { DenseMatrix } from "../../tensor/dense.js";
import { progressStream } from "../../progress.js";
import { quantizeEmbeddings } from "../../util/quantization.js";
import { SbertError } from "../../errors.js";
import { UsageError } from "../errors.js";
import { type CliIo, type InputFormat, type LineSink, STDIO } from "../io.js";
import { formatNumberArray } from "../json-format.js";
import { cliModelKind, loadSentenceTransformer, requirePromptName } from "../model.js";
import { encodeMultiVector } from "./multi-vector.js";
import { type QueueEncodeOptions, encodeViaQueue } from "../queue-encode.js";
import { RowSpool } from "../row-spool.js";
import { encodeSparse } from "./encode-sparse.js";
import type { ImageInput } from "../../modules/image-input.js";
import { IMAGE_INPUT_HELP, imageLines } from "../image-lines.js";
import { type StreamedTexts, chunkProgress, runStreamed } from "../streamed-texts.js";
import type { ChunkLimits } from "../text-input.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, inputOption, withModelOptions, outputOption, parsePositiveInt } from "../options.js";

type OutputValue = "sentence_embedding" | "token_embeddings";

/** The queued encode's options (queue-encode.ts), with this command's own. */
interface EncodeCliOptions extends Omit<QueueEncodeOptions, "outputValue" | "queue"> {
  outputValue: OutputValue;
  maxActiveDims?: number;
  task?: "query" | "document";
  queue?: string;
}

const PRECISIONS: readonly Precision[] = ["float32", "int8", "uint8", "binary", "ubinary"];

/** `sbert encode`: one JSON array per input text, in input order. */
export function registerEncode(program: Command, io: CliIo): void {
  withModelOptions(program.command("encode"))
    .summary("embed texts: one JSON array per input text")
    .description(
      "Embed texts with a SentenceTransformer model. Writes one JSON array per input text, in input order: " +
        "the embedding (float32 numbers, or int8/uint8 codes with --precision), or with " +
        "--output-value token_embeddings an array of per-token arrays (padding excluded).",
    )
        .addOption(inputOption("texts to embed (.jsonl or .txt)"))
    .addOption(outputOption())
    .addOption(inputFormatOption())
    .addOption(batchSizeOption())
    .option("--normalize", "L2-normalize each embedding (after --truncate-dim)")
    .addOption(new Option("--prompt-name <name>", "prepend this prompt from the model's config_sentence_transformers.json").conflicts("prompt"))
    .option("--prompt <text>", "prepend this literal text to every input")
    .addOption(new Option("--truncate-dim <n>", "keep only the first n dimensions (Matryoshka); overrides the model's truncate_dim").argParser(parsePositiveInt))
    .addOption(
      new Option("--precision <precision>", "float32, or quantized codes; int8/uint8 ranges come from all of this input's embeddings")
        .choices(PRECISIONS)
        .default("float32"),
    )
    .addOption(new Option("--output-value <value>", "what to output per text").choices(["sentence_embedding", "token_embeddings"]).default("sentence_embedding"))
    .addOption(
      new Option("--chunk-size <n>", "texts read and encoded per step, bounding memory (default 4096, 256 with token_embeddings); the output does not depend on it").argParser(
        parsePositiveInt,
      ),
    )
    .addOption(new Option("--max-active-dims <n>", "sparse models: keep only the n largest values per row").argParser(parsePositiveInt))
    .addOption(new Option("--task <task>", "query or document: a multi-vector (ColBERT) model's side (one array of token vectors per text), a sparse Router model's route, else the query / document prompt").choices(["query", "document"]))
    .option("--queue <url>", "fan the encode out over `sbert worker` processes via BullMQ on Redis (redis://HOST:PORT); --chunk-size texts per job (default 4096)")
    .option("--work-dir <dir>", "with --queue: folder for the chunk results, shared with the workers (default OUTPUT.parts); a rerun resumes from it")
    .addHelpText("after", TEXT_INPUT_HELP)
    .addHelpText("after", IMAGE_INPUT_HELP)
    .action(async (opts: EncodeCliOptions) => (opts.queue !== undefined ? encodeViaQueue({ ...opts, queue: opts.queue }, io) : encode(opts, io)));
}

/**
 * Texts per `model.encode` call. The output does not depend on it (rows are written in input
 * order, and a text's embedding does not depend on the texts batched with it); it bounds memory:
 * a chunk's texts, its embeddings and their JSON text.
 */
const SENTENCE_CHUNK: ChunkLimits = { maxTexts: 4096, maxChars: 1 << 23 };
/** Token embeddings are (tokens × dim) per text: smaller chunks. */
const TOKEN_CHUNK: ChunkLimits = { maxTexts: 256, maxChars: 1 << 20 };

async function encode(opts: EncodeCliOptions, io: CliIo): Promise<void> {
  const tokens = opts.outputValue === "token_embeddings";
  if (tokens && (opts.normalize || opts.truncateDim !== undefined || opts.precision !== "float32")) {
    throw new UsageError("--normalize, --truncate-dim and --precision apply to sentence embeddings; they cannot be used with --output-value token_embeddings");
  }
  const base = tokens ? TOKEN_CHUNK : SENTENCE_CHUNK;
  const limits = opts.chunkSize !== undefined ? { maxTexts: opts.chunkSize, maxChars: Infinity } : { ...base, maxTexts: Math.max(base.maxTexts, opts.batchSize) };
  await runStreamed<ImageInput>(opts, io, limits, async (texts, out) => {
    const { dir, kind } = await cliModelKind(opts.model, opts, io);
    if (kind === "multi-vector-encoder") return encodeMultiVector(dir, opts, textsOnly(texts, "a multi-vector model"), out, io);
    if (kind === "sparse-encoder") {
      if (opts.normalize || opts.truncateDim !== undefined || opts.precision !== "float32" || tokens) {
        throw new UsageError("--normalize, --truncate-dim, --precision and --output-value apply to dense models; this is a sparse model (it writes {indices, values} rows)");
      }
      return encodeSparse(dir, opts, io, textsOnly(texts, "a sparse model"), out);
    }
    if (opts.maxActiveDims !== undefined) throw new UsageError("--max-active-dims applies to sparse models only");
    const model = await loadSentenceTransformer(opts.model, opts, io);
    requirePromptName(model, opts.promptName, "--prompt-name");
    const promptName = opts.promptName ?? (opts.task !== undefined && opts.prompt === undefined ? taskPromptName(model, opts.task) : undefined);
    const fullDim = model.fullEmbeddingDimension();
    if (opts.truncateDim !== undefined && opts.truncateDim > fullDim) {
      throw new UsageError(`--truncate-dim ${opts.truncateDim} is larger than the model's embedding dimension ${fullDim}`);
    }
    if (texts.empty) return;
    const encodeOpts: EncodeOptions = {
      batchSize: opts.batchSize,
      ...(opts.normalize ? { normalizeEmbeddings: true } : {}),
      ...(promptName !== undefined ? { promptName } : {}),
      ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
      ...(opts.truncateDim !== undefined ? { truncateDim: opts.truncateDim } : {}),
    };
    const step = { model, texts, out, encodeOpts, progress: chunkProgress(progressStream(io), "encode", texts.total, "texts") };
    if (tokens) await encodeTokens(step);
    else if (opts.precision === "int8" || opts.precision === "uint8") await encodeBuckets(step, opts.precision, spoolDir(opts.output), limits.maxTexts, io);
    else await encodeRows(step, opts.precision);
    step.progress.finish();
  }, imageLines);
}

interface EncodeStep {
  model: SentenceTransformer;
  texts: StreamedTexts<ImageInput>;
  out: LineSink;
  encodeOpts: EncodeOptions;
  progress: ReturnType<typeof chunkProgress>;
}

/** float32, binary, ubinary: each chunk's rows are final as soon as they are encoded. */
async function encodeRows({ model, texts, out, encodeOpts, progress }: EncodeStep, precision: Precision): Promise<void> {
  for await (const chunk of texts.chunks) {
    progress.read(chunk.length);
    const m = await model.encode(chunk, { ...encodeOpts, precision, outputValue: "sentence_embedding" });
    await out.writeLines(rowLines(m));
    progress.done(chunk.length);
  }
}

/**
 * int8 / uint8: the per-dimension ranges come from all of the input's embeddings, as in one
 * `encode` call, so float32 rows are spooled to a temporary file and quantized once all are known.
 */
async function encodeBuckets({ model, texts, out, encodeOpts, progress }: EncodeStep, precision: "int8" | "uint8", dir: string, rowsPerChunk: number, io: CliIo): Promise<void> {
  let spool: RowSpool | undefined;
  try {
    for await (const chunk of texts.chunks) {
      progress.read(chunk.length);
      const m = await model.encode(chunk, { ...encodeOpts, outputValue: "sentence_embedding" });
      spool ??= await RowSpool.open(dir, m.cols, io);
      await spool.append(m);
      progress.done(chunk.length);
    }
    if (!spool) return;
    const ranges = spool.ranges();
    for await (const rows of spool.chunks(rowsPerChunk)) await out.writeLines(rowLines(quantizeEmbeddings(rows, precision, { ranges })));
  } finally {
    await spool?.dispose();
  }
}

async function encodeTokens({ model, texts, out, encodeOpts, progress }: EncodeStep): Promise<void> {
  for await (const chunk of texts.chunks) {
    progress.read(chunk.length);
    const perText = await model.encode(chunk, { ...encodeOpts, outputValue: "token_embeddings" });
    await out.writeLines(tokenLines(perText));
    progress.done(chunk.length);
  }
}

/** The prompt `encodeQuery` / `encodeDocument` would add for `task` (dense models), if the model has one. */
function taskPromptName(model: SentenceTransformer, task: "query" | "document"): string | undefined {
  const names = task === "query" ? ["query"] : ["document", "passage", "corpus"];
  return names.find((n) => Object.hasOwn(model.prompts, n));
}

/** The spool goes next to the output file (same disk as the result), else to the system's temp folder. */
function spoolDir(output: string): string {
  return output === STDIO ? tmpdir() : dirname(output);
}

function* rowLines(m: DenseMatrix<Float32Array | Int8Array | Uint8Array>): Generator<string> {
  for (let r = 0; r < m.rows; r++) yield formatNumberArray(m.row(r));
}

function* tokenLines(perText: readonly DenseMatrix[]): Generator<string> {
  for (const m of perText) yield `[${Array.from(rowLines(m)).join(",")}]`;
}

/** A sparse or multi-vector model reads text only: the stream's `{"image": ...}` lines are refused as they come, naming the model kind. */
function textsOnly(texts: StreamedTexts<ImageInput>, what: string): StreamedTexts {
  const chunks = (async function* () {
    for await (const chunk of texts.chunks) {
      if (chunk.some((x) => typeof x !== "string")) throw new SbertError("INVALID_INPUT", `${what} reads text only; the input has an {"image": ...} line`);
      yield chunk as string[];
    }
  })();
  return { total: texts.total, empty: texts.empty, chunks };
}
