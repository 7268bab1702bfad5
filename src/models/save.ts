/**
 * Saving a `SentenceTransformer` as a sentence-transformers folder that Python loads (v3 and later,
 * including 5.4+), and that `SentenceTransformer.load` reads back with identical embeddings.
 *
 * Layout (as Python's `model.save`): modules.json with the classic type names
 * (`sentence_transformers.models.Pooling`, which every version resolves), the Transformer at the
 * root (config.json, model.safetensors, tokenizer files, sentence_bert_config.json), then
 * `<idx>_Pooling/config.json`, `<idx>_Dense/{config.json, model.safetensors}`, `<idx>_Normalize/`,
 * and config_sentence_transformers.json.
 *
 * Module configs hold the classic keys only (`max_seq_length`, `do_lower_case`;
 * `word_embedding_dimension`, `pooling_mode_*`, `include_prompt`): Python ≤ 5.3 constructs modules
 * with `cls(**config)` and rejects the 5.4+ names (`embedding_dimension`, `transformer_task`, ...),
 * while 5.4+ maps the classic names itself — so these files load everywhere.
 *
 * @example
 * await saveSentenceTransformer(model, "out/my-model", { sourceDir: "models/base" });
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { packageVersion } from "../package-version.js";
import { writeFileAtomic } from "../io/write-file-atomic.js";
import { type WritableTensor, writeSafetensors } from "../io/safetensors.js";
import { Dense } from "../modules/dense.js";
import type { PipelineModule } from "../modules/module.js";
import { Normalize } from "../modules/normalize.js";
import { LEGACY_POOLING_KEYS, Pooling, type PoolingMode } from "../modules/pooling.js";
import { Transformer } from "../modules/transformer.js";
import { parseActivationName, torchActivationClass } from "../tensor/ops/elementwise.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkOptions, optionKeys } from "../strict-options.js";
import { type OutputFolderOptions, writeFolderAtomically } from "./save-atomic.js";
import type { SentenceTransformer } from "./sentence-transformer.js";

export interface SaveOptions extends OutputFolderOptions {
  /**
   * The folder the model was loaded from: config.json and the tokenizer files are copied from it
   * (the weights come from the model in memory).
   */
  sourceDir: string;
}

const SAVE_KEYS = optionKeys<SaveOptions>({ sourceDir: true, overwrite: true });

/** Tokenizer files copied when the source folder has them. */
const TOKENIZER_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.txt",
  "vocab.json",
  "merges.txt",
  "sentencepiece.bpe.model",
  "spiece.model",
];

/**
 * Writes the model to `dir` atomically (a temporary sibling folder renamed into place). An existing
 * non-empty `dir` is refused unless `overwrite` is set.
 */
export async function saveSentenceTransformer(model: SentenceTransformer, dir: string, opts: SaveOptions): Promise<void> {
  checkOptions(opts, SAVE_KEYS, "saveSentenceTransformer");
  await writeFolderAtomically(dir, (tmp) => writeSentenceTransformer(model, tmp, opts.sourceDir), opts);
}

/** Writes the model's files into an existing empty folder (not atomic; see `saveSentenceTransformer`). */
export async function writeSentenceTransformer(model: SentenceTransformer, dir: string, sourceDir: string): Promise<void> {
  const entries = model.modules.map((m, idx) => ({ idx, name: String(idx), path: idx === 0 ? "" : `${idx}_${m.typeName}`, type: `sentence_transformers.models.${m.typeName}` }));
  for (const [idx, m] of model.modules.entries()) {
    const path = (entries[idx] as { path: string }).path;
    const sub = path ? join(dir, path) : dir;
    if (path) await mkdir(sub);
    await saveModule(m, idx, sub, sourceDir);
  }
  await writeJson(join(dir, "modules.json"), entries);
  const stConfig: Record<string, unknown> = {
    __version__: { sbert_ts: packageVersion() },
    model_type: "SentenceTransformer",
    prompts: { ...model.prompts },
    default_prompt_name: model.defaultPromptName ?? null,
    similarity_fn_name: model.similarityFnName,
  };
  if (model.truncateDim !== undefined) stConfig["truncate_dim"] = model.truncateDim;
  await writeJson(join(dir, "config_sentence_transformers.json"), stConfig);
}

async function saveModule(m: PipelineModule, idx: number, dir: string, sourceDir: string): Promise<void> {
  if (m instanceof Transformer) {
    if (idx !== 0) throw new SbertError("UNSUPPORTED_FORMAT", "only the first module may be a Transformer");
    return saveTransformer(m, dir, sourceDir);
  }
  if (m instanceof Pooling) return writeJson(join(dir, "config.json"), poolingConfig(m));
  if (m instanceof Dense) {
    // Python instantiates the stored class without arguments: only a path that reads back as the same activation will do
    const activation = torchActivationClass(m.activationName);
    if (parseActivationName(activation) !== m.activationName) throw new SbertError("UNSUPPORTED_FORMAT", `a Dense module with activation "${m.activationName}" has no torch class path to save`);
    const cfg: Record<string, unknown> = { in_features: m.weight.dim(1), out_features: m.weight.dim(0), bias: m.bias !== undefined, activation_function: activation };
    if (m.outputDimension() === undefined) Object.assign(cfg, { module_input_name: "token_embeddings", module_output_name: "token_embeddings" });
    await writeJson(join(dir, "config.json"), cfg);
    const tensors = new Map<string, WritableTensor>([["linear.weight", writable(m.weight)]]);
    if (m.bias) tensors.set("linear.bias", writable(m.bias));
    return writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  }
  if (m instanceof Normalize) return;
  throw new SbertError("UNSUPPORTED_FORMAT", `cannot save a ${m.typeName} module`);
}

/**
 * The classic Pooling config (`word_embedding_dimension`, six booleans, `include_prompt`). Modes
 * the booleans cannot express — a repeated mode, or several in another order than Python ≤ 5.3
 * concatenates them (cls, max, mean, ...) — are written as the 5.4+ list, which only 5.4+ reads.
 */
function poolingConfig(m: Pooling): Record<string, unknown> {
  const { modes, embeddingDimension, includePrompt } = m.config;
  const classicOrder = LEGACY_POOLING_KEYS.map(([, mode]) => mode).filter((mode) => modes.includes(mode));
  if (classicOrder.join() !== modes.join()) return { embedding_dimension: embeddingDimension, pooling_mode: [...modes], include_prompt: includePrompt };
  const cfg: Record<string, unknown> = { word_embedding_dimension: embeddingDimension };
  for (const [key, mode] of LEGACY_POOLING_KEYS) cfg[key] = modes.includes(mode);
  cfg["include_prompt"] = includePrompt;
  return cfg;
}

async function saveTransformer(t: Transformer, dir: string, sourceDir: string): Promise<void> {
  const config = await readFile(join(sourceDir, "config.json")).catch((e: unknown) => {
    throw new SbertError("FILE_NOT_FOUND", `cannot copy config.json from the source folder "${sourceDir}": ${(e as Error).message}`, { cause: e });
  });
  await writeFileAtomic(join(dir, "config.json"), config);
  await copyTokenizerFiles(sourceDir, dir);
  const tensors = new Map<string, WritableTensor>();
  for (const [name, tensor] of t.encoder.params.tensors) tensors.set(name, writable(tensor));
  await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
  await writeJson(join(dir, "sentence_bert_config.json"), { max_seq_length: t.maxSeqLength, do_lower_case: t.doLowerCase });
}

/** Copies the tokenizer files `sourceDir` has into `dir`; fails without a tokenizer.json. */
export async function copyTokenizerFiles(sourceDir: string, dir: string): Promise<void> {
  let copied = 0;
  for (const name of TOKENIZER_FILES) {
    const ok = await copyFile(join(sourceDir, name), join(dir, name)).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return false;
        throw e;
      },
    );
    if (ok) copied++;
  }
  if (copied === 0 || !(await readFile(join(dir, "tokenizer.json")).then(() => true, () => false))) {
    throw new SbertError("FILE_NOT_FOUND", `the source folder "${sourceDir}" has no tokenizer.json to copy`);
  }
}

export function writable(t: Tensor): WritableTensor {
  return { shape: [...t.shape], data: t.data };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

