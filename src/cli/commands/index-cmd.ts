import { realpath } from "node:fs/promises";
import { type Command, Option } from "commander";
import type { SentenceTransformer } from "../../models/sentence-transformer.js";
import { checkOutputFolder, writeFolderAtomically } from "../../models/save-atomic.js";
import { INDEX_PRECISIONS, type IndexPrecision, VectorIndex } from "../../index/vector-index.js";
import { progressStream } from "../../progress.js";
import type { InputFormat } from "../io.js";
import { type CliModelOptions, loadSentenceTransformer, requirePromptName } from "../model.js";
import { chunkProgress } from "../streamed-texts.js";
import type { CliIo } from "../streams.js";
import { openTextInput } from "../text-input.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, inputOption, parsePositiveInt, withModelOptions } from "../options.js";

interface IndexCliOptions extends CliModelOptions {
  model: string;
  input: string;
  index: string;
  inputFormat?: InputFormat;
  batchSize: number;
  promptName?: string;
  precision: IndexPrecision;
  rescore: number;
  chunkSize: number;
  overwrite?: boolean;
}

const INDEX_HELP = `
Prints one JSON line when done: {"index", "rows" (in the index), "added", "precision", "model"}.
The index folder holds index.json (model id, dimension, precision), vectors.f32 (the float32
embeddings, for rescoring), ids.u64 and the usearch HNSW graph. A hit's corpus_id is the text's
position in the corpus: 0.. for the texts of "index build", continuing through every "index add".
Search it with: sbert search -m MODEL --index DIR --queries q.txt --top-k 10
${TEXT_INPUT_HELP}`;

/** `sbert index build` / `sbert index add`: embed a corpus into a persistent vector index. */
export function registerIndex(program: Command, io: CliIo): void {
  const index = program
    .command("index")
    .summary("build or extend a persistent vector index (usearch) of a corpus")
    .description("Embed a corpus into an on-disk vector index for `sbert search --index`.");
  const common = (cmd: Command): Command =>
    withModelOptions(cmd)
      .addOption(inputOption("corpus texts (.jsonl or .txt)"))
      .requiredOption("--index <dir>", "index folder")
      .addOption(inputFormatOption())
      .addOption(batchSizeOption())
      .option("--prompt-name <name>", "prompt (from the model config) for the corpus, e.g. document")
      .addOption(new Option("--chunk-size <n>", "texts read, embedded and added per step (bounds memory; the index does not depend on it)").argParser(parsePositiveInt).default(4096))
      .addHelpText("after", INDEX_HELP);
  common(index.command("build"))
    .summary("embed a corpus into a new index folder")
    .description("Embed --input with --model into a new index folder --index (written to a temporary folder, then renamed).")
    .addOption(new Option("--precision <precision>", "storage of the search graph; float32 rows are always kept for rescoring").choices(INDEX_PRECISIONS).default("float32"))
    .addOption(new Option("--rescore <n>", "candidates per hit searched in a quantized index, then rescored in float32 (Python's rescore_multiplier)").argParser(parsePositiveInt).default(4))
    .option("--overwrite", "replace an existing non-empty --index folder (default: refuse it)")
    .action(async (opts: IndexCliOptions) => {
      await checkOutputFolder(opts.index, { overwrite: opts.overwrite === true });
      const { model, modelId } = await loadModel(opts, io);
      try {
        let rows = 0;
        await writeFolderAtomically(
          opts.index,
          async (tmp) => {
            const index = await VectorIndex.create(tmp, { modelId, dimension: model.getSentenceEmbeddingDimension(), precision: opts.precision, rescoreMultiplier: opts.rescore });
            try {
              await addCorpus(index, model, opts, io);
              rows = index.size;
            } finally {
              await index.close();
            }
          },
          { overwrite: opts.overwrite === true },
        );
        io.stdout.write(`${JSON.stringify({ index: opts.index, rows, added: rows, precision: opts.precision, model: modelId })}\n`);
      } finally {
        await model.dispose();
      }
    });
  common(index.command("add"))
    .summary("append a corpus to an existing index (no rebuild)")
    .description("Embed --input with --model (the index's model) and append it to --index; committed once at the end, so a failure adds nothing.")
    .action(async (opts: IndexCliOptions) => {
      const target = await VectorIndex.open(opts.index);
      try {
        const { model, modelId } = await loadModel(opts, io);
        try {
          checkModel(target, modelId, model);
          const before = target.size;
          await addCorpus(target, model, opts, io);
          await target.flush();
          io.stdout.write(`${JSON.stringify({ index: opts.index, rows: target.size, added: target.size - before, precision: target.precision, model: modelId })}\n`);
        } finally {
          await model.dispose();
        }
      } finally {
        await target.close();
      }
    });
}

/**
 * The id an index records for `--model`: a local folder's real path, else the hub id (with
 * `@revision` when one is given).
 */
export async function cliModelId(model: string, revision: string | undefined): Promise<string> {
  const local = await realpath(model).catch(() => undefined);
  if (local !== undefined) return local;
  return revision === undefined ? model : `${model}@${revision}`;
}

/** Refuses a model other than the index's (CONFIG_MISMATCH) or of another dimension (SHAPE_MISMATCH). */
export function checkModel(index: VectorIndex, modelId: string, model: SentenceTransformer): void {
  index.requireModel(modelId, model.getSentenceEmbeddingDimension());
}

async function loadModel(opts: IndexCliOptions, io: CliIo): Promise<{ model: SentenceTransformer; modelId: string }> {
  const model = await loadSentenceTransformer(opts.model, opts, io);
  requirePromptName(model, opts.promptName, "--prompt-name");
  return { model, modelId: await cliModelId(opts.model, opts.revision) };
}

/** Streams the corpus chunk by chunk: embed, then append (ids continue the index's rows). */
async function addCorpus(index: VectorIndex, model: SentenceTransformer, opts: IndexCliOptions, io: CliIo): Promise<void> {
  const input = await openTextInput(opts.input, opts.inputFormat, io);
  const progress = chunkProgress(progressStream(io), "index", input.total, "texts");
  for await (const texts of input.chunks({ maxTexts: opts.chunkSize, maxChars: 1 << 23 })) {
    progress.read(texts.length);
    const m = await model.encode(texts, { batchSize: opts.batchSize, ...(opts.promptName !== undefined ? { promptName: opts.promptName } : {}) });
    const first = index.size;
    await index.add(Array.from({ length: m.rows }, (_, i) => first + i), m);
    progress.done(texts.length);
  }
  progress.finish();
}
