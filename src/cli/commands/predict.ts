import { type Command, Option } from "commander";
import type { CrossEncoderActivation } from "../../models/cross-encoder.js";
import { progressStream } from "../../progress.js";
import { type CliIo, checkOutputPath, parsePairs, readInputLines, writeOutputLines } from "../io.js";
import { formatFloat32, formatNumberArray } from "../json-format.js";
import { type CliModelOptions, loadCrossEncoder } from "../model.js";
import { batchSizeOption, inputOption, withModelOptions, outputOption } from "../options.js";

interface PredictCliOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  batchSize: number;
  activation: CrossEncoderActivation;
}

export const ACTIVATIONS: readonly CrossEncoderActivation[] = ["default", "identity", "sigmoid", "softmax", "tanh"];

export const activationOption = (): Option =>
  new Option("--activation <fn>", "activation on the logits; default: the model's stored one (sigmoid for one label)").choices(ACTIVATIONS).default("default");

/** `sbert predict`: one score (or one array of label scores) per input pair. */
export function registerPredict(program: Command, io: CliIo): void {
  withModelOptions(program.command("predict"))
    .summary("score text pairs with a CrossEncoder: one JSON number or array per pair")
    .description(
      "Score [text_a, text_b] pairs with a CrossEncoder model. Writes one line per pair, in input order: " +
        "a JSON number for a one-label model, a JSON array of label scores otherwise.",
    )
        .addOption(inputOption('pairs as JSON Lines, one ["text_a", "text_b"] array per line (blank lines skipped)'))
    .addOption(outputOption())
    .addOption(batchSizeOption())
    .addOption(activationOption())
    .action(async (opts: PredictCliOptions) => {
      await checkOutputPath(opts.output);
      const pairs = parsePairs(await readInputLines(opts.input, io));
      const model = await loadCrossEncoder(opts.model, opts, io);
      if (pairs.length === 0) return writeOutputLines(opts.output, [], io);
      const scores = await model.predict(pairs, { batchSize: opts.batchSize, activation: opts.activation, showProgressBar: progressStream(io) });
      const lines =
        scores instanceof Float32Array
          ? Array.from(scores, (s) => formatFloat32(s))
          : Array.from({ length: scores.rows }, (_, r) => formatNumberArray(scores.row(r)));
      return writeOutputLines(opts.output, lines, io);
    });
}
