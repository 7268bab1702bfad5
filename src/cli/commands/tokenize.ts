import { type Command, Option } from "commander";
import type { CliIo, InputFormat } from "../io.js";
import { type CliModelOptions, loadSentenceTransformer } from "../model.js";
import { TEXT_INPUT_HELP, inputFormatOption, inputOption, withModelOptions, outputOption, parsePositiveInt } from "../options.js";
import { runStreamed } from "../streamed-texts.js";

interface TokenizeCliOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
  chunkSize?: number;
}

/** Texts tokenized per call (ids do not depend on the batch; this only bounds the padded batch and memory). */
const CHUNK = { maxTexts: 1024, maxChars: 1 << 22 };

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
    .addOption(new Option("--chunk-size <n>", "texts read and tokenized per step, bounding memory (default 1024); the output does not depend on it").argParser(parsePositiveInt))
    .addHelpText("after", TEXT_INPUT_HELP)
    .action(async (opts: TokenizeCliOptions) =>
      runStreamed(opts, io, opts.chunkSize !== undefined ? { maxTexts: opts.chunkSize, maxChars: Infinity } : CHUNK, async (texts, out) => {
        const model = await loadSentenceTransformer(opts.model, opts, io);
        for await (const chunk of texts.chunks) {
          const batch = model.tokenize(chunk);
          const lines: string[] = [];
          for (let r = 0; r < batch.batchSize; r++) {
            const row: number[] = [];
            for (let t = r * batch.seqLen; t < (r + 1) * batch.seqLen; t++) {
              if (batch.attentionMask[t]) row.push(batch.inputIds[t] as number);
            }
            lines.push(`[${row.join(",")}]`);
          }
          await out.writeLines(lines);
        }
      }),
    );
}
