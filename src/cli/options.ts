/** Option definitions and value parsers shared by the commands. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseThreadCount } from "../backends/thread-count.js";
import { INPUT_FORMATS, STDIO } from "./io.js";

/** `"12"` → 12; anything but a whole number ≥ 1 is rejected with a usage error. */
export function parsePositiveInt(value: string): number {
  const n = /^\+?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("Expected a positive integer (1, 2, 3, ...).");
  return n;
}

/** A finite decimal number such as `0.75` or `-1e-3`. */
export function parseFiniteNumber(value: string): number {
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError("Expected a finite number such as 0.75.");
  return n;
}

/** `--threads`: the one thread-count rule (1..MAX_THREADS, src/backends/thread-count.ts) as a usage error. */
export function parseThreads(value: string): number {
  try {
    return parseThreadCount(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message[0]?.toUpperCase()}${(e as Error).message.slice(1)}.`);
  }
}

/** Help text of `--model`. */
export const MODEL_HELP = "model folder (a sentence-transformers save, or a Hugging Face folder with config.json) or a Hugging Face id org/name";

export const modelOption = (): Option => new Option("-m, --model <dir|id>", MODEL_HELP).makeOptionMandatory();

/** Help texts of the flags every model command takes besides --model (serve says the same in src/server/config.ts). */
export const MODEL_FLAG_HELP = {
  revision: "branch, tag or commit of a Hugging Face model id (default main)",
  backend: "compute engine: onnx (ONNX Runtime), native (our tensor code) or auto (onnx when available)",
  threads: "ONNX Runtime intra-op threads, 1 to 256 (default: one per core)",
  onnxFile: "ONNX file in the model's onnx/ folder, e.g. model_qint8_avx512_vnni.onnx (default model.onnx)",
} as const;

/** What every model command takes: the model (`-m`), and the hub revision of an id. */
export const MODEL_SOURCE_FLAGS = ["--model", "--revision"] as const;

/**
 * What every command that runs a model takes besides: the engine flags. `train` (always the
 * native, differentiable engine) and `export-onnx` (builds the graph from the weights) run none.
 */
export const ENGINE_FLAGS = ["--backend", "--threads", "--onnx-file"] as const;

/** Adds `-m, --model` and `--revision` (a command that builds a model rather than running one). */
export function withModelSourceOptions(cmd: Command): Command {
  cmd.addOption(modelOption());
  for (const o of modelLoadOptions().filter((o) => o.long === "--revision")) cmd.addOption(o);
  return cmd;
}

/** Adds --model and the model-loading options (hub revision, compute backend) to a command. */
export function withModelOptions(cmd: Command): Command {
  cmd.addOption(modelOption());
  for (const o of modelLoadOptions()) cmd.addOption(o);
  return cmd;
}

/** The options every model-loading command takes besides --model: hub revision and compute backend. */
export const modelLoadOptions = (): Option[] => [
  new Option("--revision <rev>", MODEL_FLAG_HELP.revision),
  new Option("--backend <name>", MODEL_FLAG_HELP.backend).choices(["auto", "onnx", "native"]),
  new Option("--threads <n>", MODEL_FLAG_HELP.threads).argParser(parseThreads),
  new Option("--onnx-file <name>", MODEL_FLAG_HELP.onnxFile),
];

export const inputOption = (what: string): Option => new Option("-i, --input <file>", `${what}; "-" reads standard input`).default(STDIO);

export const outputOption = (): Option =>
  new Option("-o, --output <file>", 'output JSON Lines file (written to a temporary file, then renamed); "-" is standard output').default(STDIO);

export const inputFormatOption = (): Option =>
  new Option("--input-format <format>", "how to read text inputs (default: from the file extension; auto for stdin)").choices(INPUT_FORMATS);

export const batchSizeOption = (): Option =>
  new Option("-b, --batch-size <n>", "texts per forward pass").argParser(parsePositiveInt).default(32);

export const topKOption = (what: string, defaultValue?: number): Option => {
  const opt = new Option("-k, --top-k <k>", what).argParser(parsePositiveInt);
  return defaultValue === undefined ? opt : opt.default(defaultValue);
};

/** Help text on the text input formats, shown by every command that reads texts. */
export const TEXT_INPUT_HELP = `
Text inputs (UTF-8; "\\n" or "\\r\\n" line ends; a leading BOM is ignored):
  *.jsonl, *.ndjson  JSON Lines: each non-blank line is a JSON string ("some text") or an object
                     with a string "text" field ({"text": "some text", ...}); blank lines are skipped.
  *.txt              plain text: every line is one text (an empty line is the empty text).
  - (stdin), other   auto: JSON Lines if every non-blank line parses as a JSON string or object,
                     plain text otherwise. Force a format with --input-format jsonl|txt.
An input with no texts gives no output (an empty file with --output) and exit status 0.`;
