/**
 * The one answer to "is this folder a bi-encoder or a cross-encoder", from the files it holds:
 *
 * 1. `config_sentence_transformers.json` `model_type` (`CrossEncoder` / `SentenceTransformer` /
 *    `SparseEncoder`, v4+; `MultiVectorEncoder`, v6);
 * 2. `sentence_bert_config.json` `transformer_task: sequence-classification` (the 5.4+ layout);
 * 3. `modules.json` without either of those: a bi-encoder (old cross-encoders never had one);
 * 4. a plain Hugging Face folder whose config.json `architectures` names a
 *    `…ForSequenceClassification`: a cross-encoder (as Python's CrossEncoder loads it);
 * 5. a plain folder whose `architectures` names only other classes (`BertModel`, `…ForMaskedLM`):
 *    a bi-encoder — it loads with mean pooling, as Python's SentenceTransformer loads it;
 * 6. otherwise (no `architectures`) undecided: each class tries it.
 *
 * Unreadable or malformed files count as absent here; the loaders report them.
 *
 * @example
 * await folderModelKind("test/fixtures/ce-bert-1label");
 * // { kind: "cross-encoder", because: 'config_sentence_transformers.json says model_type "CrossEncoder"' }
 */
import { join } from "node:path";
import { pathExists } from "../io/exists.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";

export type ModelKind = "sentence-transformer" | "cross-encoder" | "sparse-encoder" | "multi-vector-encoder";

export interface FolderKind {
  kind: ModelKind;
  /** The evidence, for messages: `config.json names BertForSequenceClassification`. */
  because: string;
}

export async function folderModelKind(dir: string): Promise<FolderKind | undefined> {
  const read = (name: string): Promise<JsonObject | undefined> => readJsonObject(dir, name, { optional: true }).catch(() => undefined);
  const [st, sb, hf, hasModules] = await Promise.all([
    read("config_sentence_transformers.json"),
    read("sentence_bert_config.json"),
    read("config.json"),
    pathExists(join(dir, "modules.json")),
  ]);
  const modelType = st?.["model_type"];
  if (modelType === "CrossEncoder") return { kind: "cross-encoder", because: 'config_sentence_transformers.json says model_type "CrossEncoder"' };
  if (modelType === "MultiVectorEncoder") return { kind: "multi-vector-encoder", because: 'config_sentence_transformers.json says model_type "MultiVectorEncoder"' };
  if (modelType === "SparseEncoder") return { kind: "sparse-encoder", because: 'config_sentence_transformers.json says model_type "SparseEncoder"' };
  if (modelType === "SentenceTransformer") return { kind: "sentence-transformer", because: 'config_sentence_transformers.json says model_type "SentenceTransformer"' };
  if (sb?.["transformer_task"] === "sequence-classification") {
    return { kind: "cross-encoder", because: 'sentence_bert_config.json says transformer_task "sequence-classification"' };
  }
  if (hasModules) return { kind: "sentence-transformer", because: "it has a modules.json pipeline without a classification task" };
  const archs = hf?.["architectures"];
  const classifier = Array.isArray(archs) ? archs.find((a): a is string => typeof a === "string" && a.endsWith("ForSequenceClassification")) : undefined;
  if (classifier !== undefined) return { kind: "cross-encoder", because: `config.json names the architecture ${classifier}` };
  const named = Array.isArray(archs) ? archs.filter((a): a is string => typeof a === "string") : [];
  if (named.length > 0) return { kind: "sentence-transformer", because: `config.json names the architecture ${named.join(", ")}, which has no classification head` };
  return undefined;
}
