#!/usr/bin/env node
/**
 * The `sbert` command line: JSON Lines in, JSON Lines out.
 *
 * @example
 * sbert encode --model ./my-model --input texts.txt --output embeddings.jsonl --normalize
 * sbert search --model ./my-model --corpus docs.jsonl --queries questions.txt --top-k 3
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { registerCluster } from "./commands/cluster.js";
import { registerEncode } from "./commands/encode.js";
import { registerEvaluate } from "./commands/evaluate.js";
import { registerExportOnnx } from "./commands/export-onnx.js";
import { registerIndex } from "./commands/index-cmd.js";
import { registerInfo } from "./commands/info.js";
import { registerMineParaphrases } from "./commands/mine-paraphrases.js";
import { registerPredict } from "./commands/predict.js";
import { registerRank } from "./commands/rank.js";
import { registerSearch } from "./commands/search.js";
import { registerServe } from "./commands/serve.js";
import { registerTokenize } from "./commands/tokenize.js";
import { registerTrain } from "./commands/train.js";
import { registerWorker } from "./commands/worker.js";
import { EXIT_OK, describeError, exitCodeFor } from "./errors.js";
import { packageVersion } from "../package-version.js";
import type { CliIo } from "./io.js";

export type { CliIo, OutputStream } from "./io.js";

const GENERAL_HELP = `
Output is JSON Lines (compact JSON, one value per line, "\\n" line ends). Embeddings and scores are
float32 values printed as the shortest decimal that converts back to the same float32 (at most 9
significant digits); ids and int8/uint8 codes are integers.

Exit status: 0 success, 1 runtime error (unreadable input, invalid JSON or UTF-8, model that does
not load), 2 usage error (unknown command or option, bad option value, e.g. --truncate-dim larger
than the model's dimension). Errors print "sbert: <message>" on stderr; set SBERT_DEBUG=1 for
stack traces.

Run "sbert <command> --help" for a command's options and input formats.`;

/** The commander program, writing through `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command("sbert")
    .description("sentence-transformers on the command line: embeddings, cross-encoder scores, search, mining and clustering")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(`sbert: ${s.replace(/^error: /, "")}`),
    })
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", GENERAL_HELP);
  registerEncode(program, io);
  registerTokenize(program, io);
  registerPredict(program, io);
  registerRank(program, io);
  registerSearch(program, io);
  registerIndex(program, io);
  registerWorker(program, io);
  registerMineParaphrases(program, io);
  registerCluster(program, io);
  registerServe(program, io);
  registerTrain(program, io);
  registerEvaluate(program, io);
  registerExportOnnx(program, io);
  registerInfo(program, io);
  return program;
}

/**
 * Runs the CLI on `argv` (the arguments after `sbert`) and resolves to the exit status; never
 * throws. Streams default to the process's own.
 *
 * @example
 * const code = await run(["encode", "--model", dir, "--input", "texts.txt"], { stdout, stderr });
 */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, ...io };
  try {
    await buildProgram(full).parseAsync([...argv], { from: "user" });
    return EXIT_OK;
  } catch (err) {
    // Commander has already printed its own errors (and help / version output).
    if (!(err instanceof CommanderError)) full.stderr.write(`sbert: ${describeError(err, full.env["SBERT_DEBUG"] === "1")}\n`);
    return exitCodeFor(err);
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    // A closed pipe (`sbert encode ... | head`) is not an error of ours.
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    process.stderr.write(`sbert: cannot write to standard output: ${err.message}\n`);
    process.exit(1);
  });
  process.exitCode = await run(process.argv.slice(2));
}
