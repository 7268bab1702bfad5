import type { Command } from "commander";
import { paraphraseMining } from "../../models/paraphrase-mining.js";
import { progressStream } from "../../progress.js";
import { type CliIo, type InputFormat, checkOutputPath, readTexts, writeOutputLines } from "../io.js";
import { formatFloat32 } from "../json-format.js";
import { type CliModelOptions, loadSentenceTransformer } from "../model.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, inputOption, withModelOptions, outputOption, parsePositiveInt, topKOption } from "../options.js";

interface MineCliOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
  topK: number;
  maxPairs: number;
  batchSize: number;
}

/** `sbert mine-paraphrases`: util.paraphrase_mining. */
export function registerMineParaphrases(program: Command, io: CliIo): void {
  withModelOptions(program.command("mine-paraphrases"))
    .summary("paraphrase mining: one JSON [score, i, j] per line")
    .description(
      "Embed the texts and find the most similar pairs (Python's util.paraphrase_mining, cosine " +
        "similarity). Writes one JSON array [score, i, j] per pair (i < j are text indices from 0), " +
        "highest score first.",
    )
        .addOption(inputOption("texts (.jsonl or .txt)"))
    .addOption(outputOption())
    .addOption(inputFormatOption())
    .addOption(topKOption("other texts each text offers as candidates", 100))
    .option("--max-pairs <n>", "capacity of the candidate queue (as Python's max_pairs)", parsePositiveInt, 500000)
    .addOption(batchSizeOption())
    .addHelpText("after", TEXT_INPUT_HELP)
    .action(async (opts: MineCliOptions) => {
      await checkOutputPath(opts.output);
      const texts = await readTexts(opts.input, opts.inputFormat, io);
      const model = await loadSentenceTransformer(opts.model, opts, io);
      if (texts.length === 0) return writeOutputLines(opts.output, [], io);
      const pairs = await paraphraseMining(model, texts, { batchSize: opts.batchSize, topK: opts.topK, maxPairs: opts.maxPairs, showProgressBar: progressStream(io) });
      return writeOutputLines(opts.output, pairs.map(([s, i, j]) => `[${formatFloat32(s)},${i},${j}]`), io);
    });
}
