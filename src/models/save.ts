/**
 * Saving a `SentenceTransformer` as a sentence-transformers folder that Python loads (v3 and later,
 * including 5.4+), and that `SentenceTransformer.load` reads back with identical embeddings, on
 * either backend: a loop over the modules, each writing its own folder (`module.save(dir)`).
 *
 * Layout (as Python's `model.save`): modules.json with the classic type names
 * (`sentence_transformers.models.Pooling`, which every version resolves), the first module at the
 * root (the Transformer: config.json, model.safetensors, tokenizer files, sentence_bert_config.json),
 * every other one in `<idx>_<Type>/` (`1_Pooling/config.json`, `2_Dense/{config.json,
 * model.safetensors}`, `3_Normalize/`), and config_sentence_transformers.json.
 *
 * Module configs hold the classic keys where they can (see each module's `getConfigDict`): Python
 * ≤ 5.3 constructs modules with `cls(**config)` and rejects the 5.4+ names, while 5.4+ maps the
 * classic names itself — so these files load everywhere.
 *
 * @example
 * await model.save("out/my-model"); // or saveSentenceTransformer(model, "out/my-model", { overwrite: true })
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ModuleSaveOptions, PipelineModule } from "../modules/module.js";
import { writeModuleJson } from "../modules/module-files.js";
import { packageVersion } from "../package-version.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type OutputFolderOptions, writeFolderAtomically } from "./save-atomic.js";

export { writeModuleJson as writeJson } from "../modules/module-files.js";

/** `model.save` options. */
export interface ModelSaveOptions extends OutputFolderOptions {
  /**
   * Copy config.json and the tokenizer files from this folder instead of the one the model was
   * loaded from (the weights always come from the model).
   */
  sourceDir?: string;
}

/** `saveSentenceTransformer` / `saveCrossEncoder` options (the same as `model.save`'s). */
export type SaveOptions = ModelSaveOptions;

export const SAVE_KEYS = optionKeys<ModelSaveOptions>({ sourceDir: true, overwrite: true });

/** What saving a bi-encoder reads of it (a `SentenceTransformer`). */
export interface SavableSentenceTransformer {
  readonly modules: readonly PipelineModule[];
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultPromptName: string | undefined;
  readonly similarityFnName: string;
  readonly truncateDim: number | undefined;
}

/**
 * The folder module `idx` is saved in, relative to the model folder: "" (the root) for the first,
 * `<idx>_<Type>` (`2_Dense`) for the others, as Python names them. A model's parameter names are
 * `<folder>/<key>` (`2_Dense/linear.weight`; the root's keys bare), so the folder and key of each
 * are read off its name.
 */
export function moduleFolder(idx: number, m: PipelineModule): string {
  return idx === 0 ? "" : `${idx}_${m.typeName}`;
}

/**
 * Writes the model to `dir` atomically (a temporary sibling folder renamed into place). An existing
 * non-empty `dir` is refused unless `overwrite` is set.
 */
export async function saveSentenceTransformer(model: SavableSentenceTransformer, dir: string, opts: ModelSaveOptions = {}): Promise<void> {
  checkOptions(opts, SAVE_KEYS, "saveSentenceTransformer");
  await writeFolderAtomically(dir, (tmp) => writeSentenceTransformer(model, tmp, opts.sourceDir), opts);
}

/**
 * Saves every module into its folder (`moduleFolder`) under `dir` and writes `modules.json`, each
 * entry's `type` from `typeOf` (the class's module path, which differs by model kind and version).
 */
export async function writeModules(modules: readonly PipelineModule[], dir: string, sourceDir: string | undefined, typeOf: (typeName: string) => string): Promise<void> {
  const moduleOpts: ModuleSaveOptions = sourceDir === undefined ? {} : { sourceDir };
  const entries = modules.map((m, idx) => ({ idx, name: String(idx), path: moduleFolder(idx, m), type: typeOf(m.typeName) }));
  for (const [idx, m] of modules.entries()) {
    const path = moduleFolder(idx, m);
    const sub = path ? join(dir, path) : dir;
    if (path) await mkdir(sub);
    await m.save(sub, moduleOpts);
  }
  await writeModuleJson(join(dir, "modules.json"), entries);
}

/** Writes the model's files into an existing empty folder (not atomic; see `saveSentenceTransformer`). */
export async function writeSentenceTransformer(model: SavableSentenceTransformer, dir: string, sourceDir?: string): Promise<void> {
  await writeModules(model.modules, dir, sourceDir, (t) => `sentence_transformers.models.${t}`);
  const stConfig: Record<string, unknown> = {
    __version__: { sbert_ts: packageVersion() },
    model_type: "SentenceTransformer",
    prompts: { ...model.prompts },
    default_prompt_name: model.defaultPromptName ?? null,
    similarity_fn_name: model.similarityFnName,
  };
  if (model.truncateDim !== undefined) stConfig["truncate_dim"] = model.truncateDim;
  await writeModuleJson(join(dir, "config_sentence_transformers.json"), stConfig);
}
