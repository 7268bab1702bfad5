/**
 * Which repo files a model needs: what the loaders in `modules/` read, and nothing else (no
 * `pytorch_model.bin`, no ONNX variants unless asked, no README or training files).
 *
 * With `onnxFile`, each Transformer folder gets `onnx/<onnxFile>` instead of `model.safetensors`.
 * A repo that has `model.safetensors.index.json` instead of `model.safetensors` is sharded:
 * `resolve.ts` then fetches the index and the shards it names.
 * The table is keyed by the module class (the last part of the `modules.json` type string, which
 * is the same in every spelling the registry accepts). It lives here rather than on the module
 * classes so that `hub/` does not import `modules/` (and the architectures behind it).
 */
import { SbertError } from "../errors.js";
import { jsonSyntaxDetail } from "../io/json-syntax.js";
import { validateRepoFilename } from "./names.js";

/** One file the model needs, relative to the repo root. */
export interface WantedFile {
  path: string;
  /** Loading fails without it; optional files are fetched when the repo has them. */
  required: boolean;
}

interface FileSet {
  required: readonly string[];
  optional: readonly string[];
}

const TRANSFORMER: FileSet = {
  required: ["config.json", "model.safetensors", "tokenizer.json"],
  optional: ["sentence_bert_config.json", "tokenizer_config.json", "special_tokens_map.json"],
};

const BY_CLASS: Readonly<Record<string, FileSet>> = {
  Transformer: TRANSFORMER,
  Pooling: { required: ["config.json"], optional: [] },
  Dense: { required: ["config.json", "model.safetensors"], optional: [] },
  Normalize: { required: [], optional: [] },
};

/** A module type the table does not know: fetch its usual files if present; the loader decides. */
const UNKNOWN: FileSet = { required: [], optional: ["config.json", "model.safetensors"] };

/** Files at the repo root besides the modules' own. */
const ROOT_OPTIONAL = ["config_sentence_transformers.json"];

/** One `modules.json` entry: the class name and the folder ("" for the root). */
export interface ModuleFolder {
  className: string;
  path: string;
}

/**
 * Parses `modules.json` text into module folders, refusing any folder that leaves the repo.
 * @throws SbertError INVALID_MODEL_FILE
 */
export function parseModulesJson(text: string, source: string): ModuleFolder[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SbertError("INVALID_MODEL_FILE", `${source} is not valid JSON: ${jsonSyntaxDetail(e)}`);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new SbertError("INVALID_MODEL_FILE", `${source} must be a non-empty list of modules`);
  return raw.map((entry: unknown, i) => {
    const o = entry as Record<string, unknown> | null;
    if (!o || typeof o !== "object" || typeof o["type"] !== "string") throw new SbertError("INVALID_MODEL_FILE", `${source} entry ${i} needs a string "type"`);
    const rawPath = typeof o["path"] === "string" ? o["path"] : "";
    const path = rawPath.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    if (path !== "" && path !== ".") validateRepoFilename(path, `module path in ${source}`);
    return { className: o["type"].split(".").pop() as string, path: path === "." ? "" : path };
  });
}

export interface WantedOptions {
  /** More repo files, required; an ONNX file brings its `<file>_data` external weights when the repo has them. */
  extraFiles?: readonly string[] | undefined;
  /**
   * The ONNX backend's file inside each Transformer folder's `onnx/` (e.g. `model.onnx`): fetched
   * instead of that folder's `model.safetensors`.
   */
  onnxFile?: string | undefined;
}

/**
 * The files to fetch for a model with these modules (undefined: no `modules.json`, a plain
 * Hugging Face folder, read as a Transformer at the root).
 */
export function wantedFiles(modules: readonly ModuleFolder[] | undefined, opts: WantedOptions = {}): WantedFile[] {
  const out = new Map<string, WantedFile>();
  const add = (path: string, required: boolean): void => {
    const prev = out.get(path);
    if (!prev || (required && !prev.required)) out.set(path, { path, required });
  };
  const join = (dir: string, file: string): string => (dir ? `${dir}/${file}` : file);
  const extra = (path: string): void => {
    add(path, true);
    if (path.endsWith(".onnx")) add(`${path}_data`, false);
  };
  for (const f of ROOT_OPTIONAL) add(f, false);
  for (const m of modules ?? [{ className: "Transformer", path: "" }]) {
    const set = BY_CLASS[m.className] ?? UNKNOWN;
    const onnx = m.className === "Transformer" && opts.onnxFile !== undefined;
    for (const f of set.required) if (!(onnx && f === "model.safetensors")) add(join(m.path, f), true);
    for (const f of set.optional) add(join(m.path, f), false);
    if (onnx) extra(join(m.path, `onnx/${opts.onnxFile as string}`));
  }
  for (const f of opts.extraFiles ?? []) extra(f);
  return [...out.values()];
}
