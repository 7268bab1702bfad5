/**
 * The one model a server serves, loaded through the public library API only: a bi-encoder
 * (`embedding`), or a cross-encoder with one label (`reranker`) or several (`classifier`), as TEI
 * names them.
 *
 * @example
 * const served = await loadServedModel("test/fixtures/st-bert-mean");
 * served.kind; // "embedding"
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { hubLoadOptions, resolveModelDir } from "../hub/model-dir.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { SparseEncoder } from "../models/sparse-encoder.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { Transformer } from "../modules/transformer.js";
import type { TextTokenizer } from "../tokenizers/text-tokenizer.js";

export type ServedModel =
  | { kind: "embedding"; id: string; dir: string; model: SentenceTransformer; pooling: string }
  | { kind: "reranker" | "classifier"; id: string; dir: string; model: CrossEncoder; labels: readonly string[] }
  | { kind: "sparse"; id: string; dir: string; model: SparseEncoder };

/** Which class loads the model: what `loadServedModel` decided, passed on to worker threads. */
export type ModelClass = "sentence-transformer" | "cross-encoder" | "sparse-encoder";

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
  /** Branch, tag or commit of a hub id. */
  revision?: string | undefined;
  /** ONNX file in the folder's onnx/ directory (default model.onnx). */
  onnxFile?: string | undefined;
}

/**
 * Loads `source` (a folder, or a hub id `org/name`, downloaded first) and decides its type as TEI
 * does, through the library's one answer (`folderModelKind`): a sequence classifier is a
 * cross-encoder, anything else (a folder that does not say included) a bi-encoder.
 */
export async function loadServedModel(source: string, opts: LoadServedOptions = {}): Promise<ServedModel> {
  const engine = {
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    ...(opts.onnxFile !== undefined ? { onnxFile: opts.onnxFile } : {}),
  };
  const loadOpts = { ...engine, ...(opts.onnxThreads !== undefined ? { threads: opts.onnxThreads } : {}) };
  const dir = await resolveModelDir(source, hubLoadOptions({ ...engine, ...(opts.revision !== undefined ? { revision: opts.revision } : {}) }));
  const modelClass = opts.modelClass ?? (await folderModelKind(dir))?.kind;
  let served: ServedModel;
  if (modelClass === "cross-encoder") {
    served = await crossEncoder(source, dir, await CrossEncoder.load(dir, loadOpts));
  } else if (modelClass === "sparse-encoder") {
    served = { kind: "sparse", id: source, dir, model: await SparseEncoder.load(dir, loadOpts) };
  } else {
    const st = await SentenceTransformer.load(dir, loadOpts);
    served = { kind: "embedding", id: source, dir, model: st, pooling: poolingName(st) };
  }
  const limit = opts.maxInputLength;
  if (limit !== undefined && limit < maxInputLength(served)) textSide(served).maxSeqLength = limit;
  return served;
}

/** The class that loads this model in a worker thread. */
export function modelClassOf(served: ServedModel): ModelClass {
  return served.kind === "embedding" ? "sentence-transformer" : served.kind === "sparse" ? "sparse-encoder" : "cross-encoder";
}

/** Longest input in tokens (special tokens included); longer inputs are truncated or refused. */
export function maxInputLength(served: ServedModel): number {
  return textSide(served).maxSeqLength;
}

/** `native` or `onnx`: the engine the library picked. */
export function backendName(served: ServedModel): string {
  return textSide(served).backendName;
}

/**
 * What the router's tokenization step reads of the model: its Transformer, or the first module
 * when that is another input module (CLIP's text tower, a StaticEmbedding: no backend, `native`).
 */
export interface TextSide {
  readonly tokenizer: TextTokenizer;
  /** Longest token sequence; settable (lowered by --max-input-length). */
  maxSeqLength: number;
  readonly doLowerCase: boolean;
  /** Token ids at or above this are refused. */
  readonly vocabSize: number;
  readonly backendName: string;
}

export function textSide(served: ServedModel): TextSide {
  const first = served.kind === "embedding" ? served.model.inputModule : served.model.transformer;
  const t = first instanceof Transformer ? first : undefined;
  return {
    tokenizer: first.tokenizer,
    get maxSeqLength() {
      return first.maxSeqLength;
    },
    set maxSeqLength(n: number) {
      first.maxSeqLength = n;
    },
    // CLIP's and static models' tokenizers lowercase in their own normalizers, if at all
    doLowerCase: t?.doLowerCase ?? false,
    vocabSize: t?.config.vocabSize ?? first.tokenizer.vocabSize,
    backendName: t?.backend.name ?? (first as { backendName?: string }).backendName ?? "native",
  };
}

async function crossEncoder(source: string, dir: string, ce: CrossEncoder): Promise<ServedModel> {
  return { kind: ce.numLabels === 1 ? "reranker" : "classifier", id: source, dir, model: ce, labels: await labelNames(dir, ce.numLabels) };
}

/** `id2label` of the folder's config.json, else LABEL_0, LABEL_1, ... (Hugging Face's default names). */
export async function labelNames(dir: string, n: number): Promise<string[]> {
  const fallback = Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  try {
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as { id2label?: Record<string, unknown> };
    const map = cfg.id2label ?? {};
    return fallback.map((name, i) => (typeof map[String(i)] === "string" ? (map[String(i)] as string) : name));
  } catch {
    return fallback;
  }
}

/** TEI's pooling name (`mean`, `cls`, ...) from the module that pools. */
function poolingName(st: SentenceTransformer): string {
  return st.modules.find((m) => m.poolingName !== undefined)?.poolingName ?? "none";
}
