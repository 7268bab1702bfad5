import type { Command } from "commander";
import { SbertError } from "../../errors.js";
import type { CrossEncoderActivation } from "../../models/cross-encoder.js";
import { progressStream } from "../../progress.js";
import { type CliIo, checkOutputPath, readTexts, writeOutputLines } from "../io.js";
import { formatHit } from "../json-format.js";
import { cliModelKind, loadCrossEncoder } from "../model.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, inputOption, withModelOptions, outputOption, topKOption } from "../options.js";
import { type MultiVectorRankCli, rankMultiVector } from "./multi-vector.js";
import { activationOption } from "./predict.js";

interface RankCliOptions extends MultiVectorRankCli {
  model: string;
  activation: CrossEncoderActivation;
}

/** `sbert rank`: documents scored against one query with a CrossEncoder, best first. */
export function registerRank(program: Command, io: CliIo): void {
  withModelOptions(program.command("rank"))
    .summary("rank documents for a query with a CrossEncoder or a multi-vector (ColBERT) model")
    .description(
      "Score every document against --query with a one-label CrossEncoder (Python's CrossEncoder.rank), " +
        "or with a multi-vector model's MaxSim, and write one JSON object per document, best first (equal scores keep input order).",
    )
        .requiredOption("-q, --query <text>", "the query")
    .addOption(inputOption("documents (.jsonl or .txt)"))
    .addOption(outputOption())
    .addOption(inputFormatOption())
    .addOption(topKOption("only the k best documents (default: all)"))
    .addOption(batchSizeOption())
    .addOption(activationOption())
    .option("--return-documents", 'add each document as "text"')
    .addHelpText("after", `\nOutput line: {"corpus_id":3,"score":0.50012451} (corpus_id: index of the document among the\ninput texts, from 0; with --return-documents also "text").\n${TEXT_INPUT_HELP}`)
    .action(async (opts: RankCliOptions) => {
      await checkOutputPath(opts.output);
      const { dir, kind } = await cliModelKind(opts.model, opts, io);
      if (kind === "multi-vector-encoder") return rankMultiVector(dir, opts, io);
      const docs = await readTexts(opts.input, opts.inputFormat, io);
      const model = await loadCrossEncoder(opts.model, opts, io);
      if (model.numLabels !== 1) {
        throw new SbertError("INVALID_OPERATION", `rank needs a cross-encoder with one label; this model has ${model.numLabels}. Use "sbert predict" with [query, document] pairs instead`);
      }
      if (docs.length === 0) return writeOutputLines(opts.output, [], io);
      const hits = await model.rank(opts.query, docs, {
        batchSize: opts.batchSize,
        activation: opts.activation,
        showProgressBar: progressStream(io),
        ...(opts.topK !== undefined ? { topK: opts.topK } : {}),
        ...(opts.returnDocuments ? { returnDocuments: true } : {}),
      });
      return writeOutputLines(opts.output, hits.map(formatHit), io);
    });
}
