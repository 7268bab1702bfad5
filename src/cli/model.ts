/** Loading models for the CLI (a folder or a Hugging Face id `org/name`), with messages that name it. */
import { stat } from "node:fs/promises";
import type { BackendOptions } from "../backends/backend.js";
import { hubLoadOptions, resolveModelDir } from "../hub/model-dir.js";
import { looksLikeRepoId } from "../hub/names.js";
import { pathExists } from "../io/exists.js";
import { progressBar } from "../hub/progress.js";
import type { HubOptions } from "../hub/resolve.js";
import { SbertError } from "../errors.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { type ModelKind, folderModelKind } from "../modules/folder-kind.js";
import { type ProgressStream, progressStream } from "../progress.js";
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

/** Where the download bar draws: the CLI's stderr and environment (`SBERT_PROGRESS`). */
export interface ProgressIo {
  stderr: ProgressStream;
  env: Readonly<Record<string, string | undefined>>;
}

const PROCESS_IO: ProgressIo = { stderr: process.stderr, env: process.env };

/** Loads a bi-encoder folder or hub id for encode / tokenize / search / mine-paraphrases / cluster. */
export async function loadSentenceTransformer(dir: string, opts: CliModelOptions = {}, io: ProgressIo = PROCESS_IO): Promise<SentenceTransformer> {
  const where = await requireFolderOrId(dir);
  return SentenceTransformer.load(dir, hubOptions(opts, io)).catch((e: unknown) => rethrow(where, e));
}

/** Loads a cross-encoder folder or hub id for predict / rank. */
export async function loadCrossEncoder(dir: string, opts: CliModelOptions = {}, io: ProgressIo = PROCESS_IO): Promise<CrossEncoder> {
  const where = await requireFolderOrId(dir);
  return CrossEncoder.load(dir, hubOptions(opts, io)).catch((e: unknown) => rethrow(where, e));
}

/**
 * The local folder of `--model`: a folder as is, a hub id downloaded (with `--revision`, and the
 * `--onnx-file` when the ONNX backend is asked for) into the hub cache.
 */
export async function resolveCliModelDir(dir: string, opts: CliModelOptions = {}, io: ProgressIo = PROCESS_IO): Promise<string> {
  const where = await requireFolderOrId(dir);
  const { threads: _threads, ...hub } = hubOptions(opts, io);
  return resolveModelDir(dir, hubLoadOptions(hub)).catch((e: unknown) => rethrow(where, e));
}

/**
 * `--model`'s local folder and the model class its files name (folderModelKind; undefined when they
 * name none): commands run sparse and multi-vector encoders through their own classes.
 */
export async function cliModelKind(model: string, opts: CliModelOptions, io: ProgressIo): Promise<{ dir: string; kind: ModelKind | undefined }> {
  const dir = await resolveCliModelDir(model, opts, io);
  return { dir, kind: (await folderModelKind(dir))?.kind };
}

/** Usage error unless `name` is one of the model's prompts (`--prompt-name` and friends). */
export function requirePromptName(model: SentenceTransformer, name: string | undefined, flag: string): void {
  if (name === undefined) return;
  try {
    model.promptText(name);
  } catch (e) {
    throw e instanceof SbertError && e.code === "INVALID_INPUT" ? new UsageError(`${flag}: ${e.message}`) : e;
  }
}

/** Whether `--model` names no existing path and looks like a hub id `org/name`. */
export async function isHubId(dir: string): Promise<boolean> {
  return looksLikeRepoId(dir) && !(await pathExists(dir));
}

/** The model's description for messages; a missing path that looks like `org/name` is a hub id. */
async function requireFolderOrId(dir: string): Promise<string> {
  const s = await stat(dir).catch(() => undefined);
  if (!s && looksLikeRepoId(dir)) return `"${dir}"`;
  if (!s) throw new SbertError("FILE_NOT_FOUND", `model folder "${dir}" does not exist`);
  if (!s.isDirectory()) throw new SbertError("INVALID_INPUT", `--model "${dir}" is a file; pass the folder that holds the model (modules.json or config.json, weights, tokenizer.json)`);
  return `in "${dir}"`;
}

/** Hub settings come from the HF_* variables; a download bar on the CLI's stderr when `progressStream` says so. */
function hubOptions(opts: CliModelOptions, io: ProgressIo): HubOptions & BackendOptions {
  const out: HubOptions & BackendOptions = {};
  if (opts.revision !== undefined) out.revision = opts.revision;
  if (opts.backend !== undefined) out.backend = opts.backend;
  if (opts.threads !== undefined) out.threads = opts.threads;
  if (opts.onnxFile !== undefined) out.onnxFile = opts.onnxFile;
  const stream = progressStream(io);
  if (stream) out.onProgress = progressBar(stream);
  return out;
}

function rethrow(where: string, e: unknown): never {
  if (e instanceof SbertError) throw new SbertError(e.code, `cannot load the model ${where}: ${e.message}`, { cause: e });
  throw e;
}
