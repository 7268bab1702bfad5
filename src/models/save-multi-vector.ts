/**
 * Saving a `MultiVectorEncoder` as the folder sentence-transformers 6.0 writes
 * (`MultiVectorEncoder.save`), atomically: the Transformer at the root (its
 * sentence_bert_config.json with `query_length` / `document_length` / `query_expansion`), every
 * other module in `<idx>_<Type>/` (`1_Dense`, `2_MultiVectorMask`, `3_Normalize` with its token-level
 * config), modules.json with the v6 type names (the multi-vector modules exist in no older
 * version, so the classic names would not help), and config_sentence_transformers.json with
 * `model_type: "MultiVectorEncoder"`. `MultiVectorEncoder.load` reads it back with identical vectors.
 *
 * @example
 * await model.save("out/my-colbert");
 */
import { join } from "node:path";
import type { PipelineModule } from "../modules/module.js";
import { writeModuleJson } from "../modules/module-files.js";
import { packageVersion } from "../package-version.js";
import { checkOptions } from "../strict-options.js";
import { writeFolderAtomically } from "./save-atomic.js";
import { type ModelSaveOptions, SAVE_KEYS, writeModules } from "./save.js";

/** What saving reads of a multi-vector model. */
export interface SavableMultiVectorEncoder {
  readonly modules: readonly PipelineModule[];
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultPromptName: string | undefined;
  readonly similarityFnName: string;
}

/** The v6 `modules.json` type of a module (`sentence_transformers.base.modules.dense.Dense`). */
function v6Type(typeName: string): string {
  const file = typeName.replace(/(?<=[a-z0-9])([A-Z])/g, "_$1").toLowerCase();
  const pkg = typeName === "MultiVectorMask" ? "sentence_transformers.multi_vector_encoder.modules" : "sentence_transformers.base.modules";
  return `${pkg}.${file}.${typeName}`;
}

/** Writes the model to `dir` atomically; a non-empty `dir` is refused unless `overwrite`. */
export async function saveMultiVectorEncoder(model: SavableMultiVectorEncoder, dir: string, opts: ModelSaveOptions = {}): Promise<void> {
  checkOptions(opts, SAVE_KEYS, "MultiVectorEncoder.save");
  await writeFolderAtomically(dir, (tmp) => writeMultiVectorEncoder(model, tmp, opts.sourceDir), opts);
}

async function writeMultiVectorEncoder(model: SavableMultiVectorEncoder, dir: string, sourceDir?: string): Promise<void> {
  await writeModules(model.modules, dir, sourceDir, v6Type);
  await writeModuleJson(join(dir, "config_sentence_transformers.json"), {
    __version__: { sbert_ts: packageVersion() },
    model_type: "MultiVectorEncoder",
    prompts: { ...model.prompts },
    default_prompt_name: model.defaultPromptName ?? null,
    similarity_fn_name: model.similarityFnName,
  });
}
