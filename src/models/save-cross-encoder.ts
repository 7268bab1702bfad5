/**
 * Saving a `CrossEncoder` as the sentence-transformers 5.4+ cross-encoder folder, which
 * `CrossEncoder.load` reads back with identical logits and Python loads (5.4+ through modules.json,
 * older versions and plain transformers through config.json + model.safetensors):
 *
 *   modules.json                       one Transformer at the root
 *   sentence_bert_config.json          transformer_task sequence-classification, max_seq_length
 *   config_sentence_transformers.json  model_type CrossEncoder, activation_fn (the default activation)
 *   config.json                        the source's, with architectures, num_labels, id2label, label2id
 *   model.safetensors                  every encoder weight under its loaded key (`bert.…`, `classifier.…`)
 *   tokenizer files                    copied from the source folder
 *
 * @example
 * await saveCrossEncoder(ce, "out/my-reranker", { sourceDir: "models/base-ce" });
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { writeModuleJson } from "../modules/module-files.js";
import type { Transformer } from "../modules/transformer.js";
import { packageVersion } from "../package-version.js";
import { checkOptions } from "../strict-options.js";
import { torchActivationClass } from "../tensor/ops/elementwise.js";
import { writeFolderAtomically } from "./save-atomic.js";
import { type ModelSaveOptions, SAVE_KEYS } from "./save.js";

/** The activations a cross-encoder stores (`CrossEncoderActivation` without `default`). */
export type StoredActivation = "identity" | "sigmoid" | "tanh" | "softmax";

/** The torch class path Python's CrossEncoder instantiates for a stored activation (one table: tensor/ops/elementwise.ts). */
export function crossEncoderActivationClass(act: StoredActivation): string {
  return act === "softmax" ? "torch.nn.modules.activation.Softmax" : torchActivationClass(act);
}

/** What saving a cross-encoder reads of it (a `CrossEncoder`). */
export interface SavableCrossEncoder {
  readonly transformer: Transformer;
  readonly numLabels: number;
  readonly defaultActivation: StoredActivation;
}

/**
 * Writes the cross-encoder to `dir` atomically (a temporary sibling folder renamed into place). An
 * existing non-empty `dir` is refused unless `overwrite` is set.
 */
export async function saveCrossEncoder(model: SavableCrossEncoder, dir: string, opts: ModelSaveOptions = {}): Promise<void> {
  checkOptions(opts, SAVE_KEYS, "saveCrossEncoder");
  await writeFolderAtomically(dir, (tmp) => writeCrossEncoder(model, tmp, opts.sourceDir), opts);
}

/** Writes the cross-encoder's files into an existing empty folder (not atomic; see `saveCrossEncoder`). */
export async function writeCrossEncoder(model: SavableCrossEncoder, dir: string, sourceDir?: string): Promise<void> {
  const t = model.transformer;
  const from = sourceDir ?? t.sourceDir;
  await t.save(dir, { sourceDir: from });
  await writeModuleJson(join(dir, "config.json"), classificationConfig(await readSourceConfig(from), model.numLabels, from));
  await writeModuleJson(join(dir, "modules.json"), [{ idx: 0, name: "0", path: "", type: "sentence_transformers.base.modules.transformer.Transformer" }]);
  await writeModuleJson(join(dir, "config_sentence_transformers.json"), {
    __version__: { sbert_ts: packageVersion() },
    activation_fn: crossEncoderActivationClass(model.defaultActivation),
    default_prompt_name: null,
    model_type: "CrossEncoder",
    prompts: {},
  });
}

async function readSourceConfig(sourceDir: string): Promise<Record<string, unknown>> {
  const raw = await readFile(join(sourceDir, "config.json"), "utf8").catch((e: unknown) => {
    throw new SbertError("FILE_NOT_FOUND", `cannot copy config.json from the source folder "${sourceDir}": ${(e as Error).message}`, { cause: e });
  });
  const parsed = JSON.parse(raw) as unknown;
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new SbertError("INVALID_MODEL_FILE", `${sourceDir}/config.json is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * The source config with a sequence-classification head of `numLabels` labels: its id2label kept
 * when it has that many labels (else LABEL_0..), label2id to match, num_labels, and architectures
 * naming a `…ForSequenceClassification` class (derived from `…Model` when the source has no head).
 */
export function classificationConfig(cfg: Record<string, unknown>, numLabels: number, where = "config.json"): Record<string, unknown> {
  const out: Record<string, unknown> = { ...cfg };
  const stored = cfg["id2label"];
  const keep = stored && typeof stored === "object" && !Array.isArray(stored) && Object.keys(stored).length === numLabels;
  const id2label: Record<string, string> = keep
    ? Object.fromEntries(Object.entries(stored as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
    : Object.fromEntries(Array.from({ length: numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  out["id2label"] = id2label;
  out["label2id"] = Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)]));
  out["num_labels"] = numLabels;
  const archs = Array.isArray(cfg["architectures"]) ? (cfg["architectures"] as unknown[]).filter((a): a is string => typeof a === "string") : [];
  const head = archs.find((a) => a.endsWith("ForSequenceClassification"));
  const base = archs.find((a) => /Model$/.test(a));
  if (head) out["architectures"] = [head];
  else if (base) out["architectures"] = [base.replace(/Model$/, "ForSequenceClassification")];
  else throw new SbertError("INVALID_MODEL_FILE", `${where}: "architectures" names no …ForSequenceClassification or …Model class to save the cross-encoder as`);
  return out;
}
