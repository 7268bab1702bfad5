import { type Command, Option } from "commander";
import type { DenseMatrix, EncodeOptions, Precision } from "../../index.js";
import { progressStream } from "../../progress.js";
import { UsageError } from "../errors.js";
import { type CliIo, type InputFormat, checkOutputPath, readTexts, writeOutputLines } from "../io.js";
import { formatNumberArray } from "../json-format.js";
import { type CliModelOptions, loadSentenceTransformer, requirePromptName } from "../model.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, inputOption, withModelOptions, outputOption, parsePositiveInt } from "../options.js";

type OutputValue = "sentence_embedding" | "token_embeddings";

interface EncodeCliOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
  batchSize: number;
  normalize?: boolean;
  promptName?: string;
  prompt?: string;
  truncateDim?: number;
  precision: Precision;
  outputValue: OutputValue;
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
    .addHelpText("after", TEXT_INPUT_HELP)
    .action(async (opts: EncodeCliOptions) => encode(opts, io));
}

async function encode(opts: EncodeCliOptions, io: CliIo): Promise<void> {
  const tokens = opts.outputValue === "token_embeddings";
  if (tokens && (opts.normalize || opts.truncateDim !== undefined || opts.precision !== "float32")) {
    throw new UsageError("--normalize, --truncate-dim and --precision apply to sentence embeddings; they cannot be used with --output-value token_embeddings");
  }
  await checkOutputPath(opts.output);
  const texts = await readTexts(opts.input, opts.inputFormat, io);
  const model = await loadSentenceTransformer(opts.model, opts);
  requirePromptName(model, opts.promptName, "--prompt-name");
  const fullDim = model.fullEmbeddingDimension();
  if (opts.truncateDim !== undefined && opts.truncateDim > fullDim) {
    throw new UsageError(`--truncate-dim ${opts.truncateDim} is larger than the model's embedding dimension ${fullDim}`);
  }
  if (texts.length === 0) return writeOutputLines(opts.output, [], io);

  const encodeOpts: EncodeOptions = {
    batchSize: opts.batchSize,
    showProgressBar: progressStream(io),
    ...(opts.normalize ? { normalizeEmbeddings: true } : {}),
    ...(opts.promptName !== undefined ? { promptName: opts.promptName } : {}),
    ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
    ...(opts.truncateDim !== undefined ? { truncateDim: opts.truncateDim } : {}),
  };
  if (tokens) {
    const perText = await model.encode(texts, { ...encodeOpts, outputValue: "token_embeddings" });
    return writeOutputLines(opts.output, tokenLines(perText), io);
  }
  const embeddings = await model.encode(texts, { ...encodeOpts, precision: opts.precision, outputValue: "sentence_embedding" });
  return writeOutputLines(opts.output, rowLines(embeddings), io);
}

function* rowLines(m: DenseMatrix<Float32Array | Int8Array | Uint8Array>): Generator<string> {
  for (let r = 0; r < m.rows; r++) yield formatNumberArray(m.row(r));
}

function* tokenLines(perText: readonly DenseMatrix[]): Generator<string> {
  for (const m of perText) yield `[${Array.from(rowLines(m)).join(",")}]`;
}
