import type { Command } from "commander";
import { communityDetection } from "../../util/index.js";
import { progressStream } from "../../progress.js";
import { type CliIo, type InputFormat, checkOutputPath, readTexts, writeOutputLines } from "../io.js";
import { type CliModelOptions, loadSentenceTransformer } from "../model.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, inputOption, withModelOptions, outputOption, parseFiniteNumber, parsePositiveInt } from "../options.js";

interface ClusterCliOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
  threshold: number;
  minCommunitySize: number;
  batchSize: number;
}

/** `sbert cluster`: util.community_detection. */
export function registerCluster(program: Command, io: CliIo): void {
  withModelOptions(program.command("cluster"))
    .summary("community detection: one JSON list of text ids per community")
    .description(
      "Embed the texts and group them by cosine similarity (Python's util.community_detection). " +
        "Writes one JSON array of text indices (from 0) per community, largest first; each starts " +
        "with its centre. Texts in no community of at least --min-community-size are left out.",
    )
        .addOption(inputOption("texts (.jsonl or .txt)"))
    .addOption(outputOption())
    .addOption(inputFormatOption())
    .option("-t, --threshold <t>", "cosine similarity at or above which two texts are close", parseFiniteNumber, 0.75)
    .option("--min-community-size <n>", "smallest community reported", parsePositiveInt, 10)
    .addOption(batchSizeOption())
    .addHelpText("after", TEXT_INPUT_HELP)
    .action(async (opts: ClusterCliOptions) => {
      await checkOutputPath(opts.output);
      const texts = await readTexts(opts.input, opts.inputFormat, io);
      const model = await loadSentenceTransformer(opts.model, opts, io);
      if (texts.length === 0) return writeOutputLines(opts.output, [], io);
      const embeddings = await model.encode(texts, { batchSize: opts.batchSize, showProgressBar: progressStream(io) });
      const communities = communityDetection(embeddings, { threshold: opts.threshold, minCommunitySize: opts.minCommunitySize, showProgressBar: progressStream(io) });
      return writeOutputLines(opts.output, communities.map((c) => `[${c.join(",")}]`), io);
    });
}
