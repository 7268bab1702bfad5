/**
 * The one model a server serves, loaded through the public library API only: a bi-encoder
 * (`embedding`), or a cross-encoder with one label (`reranker`) or several (`classifier`), as TEI
 * names them.
 *
 * @example
 * const served = await loadServedModel("test/fixtures/st-bert-mean");
 * served.kind; // "embedding"
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CrossEncoder, Pooling, SentenceTransformer } from "../index.js";

export type ServedModel =
  | { kind: "embedding"; id: string; model: SentenceTransformer; pooling: string }
  | { kind: "reranker" | "classifier"; id: string; model: CrossEncoder; labels: readonly string[] };

/** Which class loads the model: what `loadServedModel` decided, passed on to worker threads. */
export type ModelClass = "sentence-transformer" | "cross-encoder";

/** The compute engine the library should use (`auto`: ONNX when the folder has one and ONNX Runtime loads). */
export type BackendChoice = "auto" | "native" | "onnx";

export interface LoadServedOptions {
  /** Skip detection and load with this class. */
  modelClass?: ModelClass | undefined;
  /** Lowers the model's max_seq_length (never raises it). */
  maxInputLength?: number | undefined;
  backend?: BackendChoice | undefined;
  /** ONNX Runtime intra-op threads (ignored by the native backend). */
  onnxThreads?: number | undefined;
}

/**
 * Loads `source` (a folder, or a hub id where the library resolves one) and decides its type as
 * TEI does: a sequence classifier (sentence_bert_config.json's `transformer_task`, config.json's
 * `*ForSequenceClassification` architecture in a folder without modules.json, or model_type
 * CrossEncoder) is a cross-encoder; anything else a bi-encoder.
 */
export async function loadServedModel(source: string, opts: LoadServedOptions = {}): Promise<ServedModel> {
  const loadOpts = {
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.onnxThreads !== undefined ? { threads: opts.onnxThreads } : {}),
  };
  const modelClass = opts.modelClass ?? (await classFromFolder(source));
  let served: ServedModel;
  if (modelClass === "cross-encoder") {
    served = await crossEncoder(source, await CrossEncoder.load(source, loadOpts));
  } else {
    const st = await SentenceTransformer.load(source, loadOpts);
    if (modelClass === undefined && st.transformer.task === "sequence-classification") {
      served = await crossEncoder(source, await CrossEncoder.load(source, loadOpts));
    } else {
      served = { kind: "embedding", id: source, model: st, pooling: poolingName(st) };
    }
  }
  const limit = opts.maxInputLength;
  if (limit !== undefined && limit < maxInputLength(served)) served.model.transformer.maxSeqLength = limit;
  return served;
}

/** The class that loads this model in a worker thread. */
export function modelClassOf(served: ServedModel): ModelClass {
  return served.kind === "embedding" ? "sentence-transformer" : "cross-encoder";
}

/** Longest input in tokens (special tokens included); longer inputs are truncated or refused. */
export function maxInputLength(served: ServedModel): number {
  return served.model.transformer.maxSeqLength;
}

/** `native` or `onnx`: the engine the library picked. */
export function backendName(served: ServedModel): string {
  return served.model.transformer.backend.name;
}

/** The class a local folder's config files name; undefined for hub ids and undecided folders. */
async function classFromFolder(source: string): Promise<ModelClass | undefined> {
  const isDir = await stat(source).then((s) => s.isDirectory(), () => false);
  if (!isDir) return undefined;
  const read = async (name: string): Promise<Record<string, unknown> | undefined> => {
    try {
      const v = JSON.parse(await readFile(join(source, name), "utf8")) as unknown;
      return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const [stCfg, sbCfg, hfCfg, modules] = await Promise.all([
    read("config_sentence_transformers.json"),
    read("sentence_bert_config.json"),
    read("config.json"),
    stat(join(source, "modules.json")).then(() => true, () => false),
  ]);
  if (stCfg?.["model_type"] === "CrossEncoder" || sbCfg?.["transformer_task"] === "sequence-classification") return "cross-encoder";
  if (stCfg?.["model_type"] === "SentenceTransformer" || modules) return "sentence-transformer";
  const archs = hfCfg?.["architectures"];
  if (Array.isArray(archs) && archs.some((a) => typeof a === "string" && a.endsWith("ForSequenceClassification"))) return "cross-encoder";
  return "sentence-transformer";
}

async function crossEncoder(source: string, ce: CrossEncoder): Promise<ServedModel> {
  return { kind: ce.numLabels === 1 ? "reranker" : "classifier", id: source, model: ce, labels: await labelNames(source, ce.numLabels) };
}

/** `id2label` of config.json when the source is a readable folder, else LABEL_0, LABEL_1, ... */
async function labelNames(source: string, n: number): Promise<string[]> {
  const fallback = Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  try {
    const cfg = JSON.parse(await readFile(join(source, "config.json"), "utf8")) as { id2label?: Record<string, unknown> };
    const map = cfg.id2label ?? {};
    return fallback.map((name, i) => (typeof map[String(i)] === "string" ? (map[String(i)] as string) : name));
  } catch {
    return fallback;
  }
}

/** TEI's pooling name (`mean`, `cls`, ...) from the model's Pooling module. */
function poolingName(st: SentenceTransformer): string {
  const pooling = st.modules.find((m): m is Pooling => m instanceof Pooling);
  return pooling ? pooling.config.modes.join("+") : "none";
}
