/** Loading models for the CLI (a folder or a Hugging Face id `org/name`), with messages that name it. */
import { stat } from "node:fs/promises";
import type { BackendOptions } from "../backends/backend.js";
import { progressBar, wantsProgressBar } from "../hub/progress.js";
import type { HubOptions } from "../hub/resolve.js";
import { looksLikeRepoId } from "../hub/names.js";
import { CrossEncoder, SbertError, SentenceTransformer } from "../index.js";
import { UsageError } from "./errors.js";

/** How the CLI fetches a model given by id. */
export interface CliModelOptions {
  /** Branch, tag or commit of a hub model (`--revision`). */
  revision?: string | undefined;
  /** `--backend auto|onnx|native`. */
  backend?: "auto" | "onnx" | "native" | undefined;
  /** `--threads N` for ONNX Runtime. */
  threads?: number | undefined;
  /** `--onnx-file NAME`. */
  onnxFile?: string | undefined;
}

/** Loads a bi-encoder folder or hub id for encode / tokenize / search / mine-paraphrases / cluster. */
export async function loadSentenceTransformer(dir: string, opts: CliModelOptions = {}): Promise<SentenceTransformer> {
  const where = await requireFolderOrId(dir);
  return SentenceTransformer.load(dir, hubOptions(opts)).catch((e: unknown) => rethrow(where, e));
}

/** Loads a cross-encoder folder or hub id for predict / rank. */
export async function loadCrossEncoder(dir: string, opts: CliModelOptions = {}): Promise<CrossEncoder> {
  const where = await requireFolderOrId(dir);
  return CrossEncoder.load(dir, hubOptions(opts)).catch((e: unknown) => rethrow(where, e));
}

/** Usage error unless `name` is one of the model's prompts (`--prompt-name` and friends). */
export function requirePromptName(model: SentenceTransformer, name: string | undefined, flag: string): void {
  if (name === undefined || Object.hasOwn(model.prompts, name)) return;
  const known = Object.keys(model.prompts);
  throw new UsageError(`${flag} "${name}" is not a prompt of this model; it has ${known.length ? known.map((k) => `"${k}"`).join(", ") : "no prompts"}`);
}

/** The model's description for messages; a missing path that looks like `org/name` is a hub id. */
async function requireFolderOrId(dir: string): Promise<string> {
  const s = await stat(dir).catch(() => undefined);
  if (!s && looksLikeRepoId(dir)) return `"${dir}"`;
  if (!s) throw new SbertError("FILE_NOT_FOUND", `model folder "${dir}" does not exist`);
  if (!s.isDirectory()) throw new SbertError("INVALID_INPUT", `--model "${dir}" is a file; pass the folder that holds the model (modules.json or config.json, weights, tokenizer.json)`);
  return `in "${dir}"`;
}

/** Hub settings come from the HF_* variables; a progress bar on stderr when it is a terminal (or SBERT_PROGRESS=1). */
function hubOptions(opts: CliModelOptions): HubOptions & BackendOptions {
  const out: HubOptions & BackendOptions = {};
  if (opts.revision !== undefined) out.revision = opts.revision;
  if (opts.backend !== undefined) out.backend = opts.backend;
  if (opts.threads !== undefined) out.threads = opts.threads;
  if (opts.onnxFile !== undefined) out.onnxFile = opts.onnxFile;
  if (wantsProgressBar(process.stderr, process.env)) out.onProgress = progressBar(process.stderr);
  return out;
}

function rethrow(where: string, e: unknown): never {
  if (e instanceof SbertError) throw new SbertError(e.code, `cannot load the model ${where}: ${e.message}`, { cause: e });
  throw e;
}
