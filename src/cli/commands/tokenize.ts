import type { Command } from "commander";
import { type CliIo, type InputFormat, checkOutputPath, readTexts, writeOutputLines } from "../io.js";
import { type CliModelOptions, loadSentenceTransformer } from "../model.js";
import { TEXT_INPUT_HELP, inputFormatOption, inputOption, withModelOptions, outputOption } from "../options.js";

interface TokenizeCliOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
}

/** Texts tokenized per call (ids do not depend on the batch; this only bounds the padded batch). */
const CHUNK = 1024;

/** `sbert tokenize`: one JSON array of token ids per input text. */
export function registerTokenize(program: Command, io: CliIo): void {
  withModelOptions(program.command("tokenize"))
    .summary("token ids: one JSON array per input text")
    .description(
      "Tokenize texts as encode does (special tokens included, truncated to the model's max sequence " +
        "length, no padding; no prompt). Writes one JSON array of integer token ids per input text.",
    )
        .addOption(inputOption("texts to tokenize (.jsonl or .txt)"))
    .addOption(outputOption())
    .addOption(inputFormatOption())
    .addHelpText("after", TEXT_INPUT_HELP)
    .action(async (opts: TokenizeCliOptions) => {
      await checkOutputPath(opts.output);
      const texts = await readTexts(opts.input, opts.inputFormat, io);
      const model = await loadSentenceTransformer(opts.model, opts);
      const ids: number[][] = [];
      for (let start = 0; start < texts.length; start += CHUNK) {
        const batch = model.tokenize(texts.slice(start, start + CHUNK));
        for (let r = 0; r < batch.batchSize; r++) {
          const row: number[] = [];
          for (let t = r * batch.seqLen; t < (r + 1) * batch.seqLen; t++) {
            if (batch.attentionMask[t]) row.push(batch.inputIds[t] as number);
          }
          ids.push(row);
        }
      }
      await writeOutputLines(opts.output, ids.map((row) => `[${row.join(",")}]`), io);
    });
}
