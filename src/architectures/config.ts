import { SbertError } from "../errors.js";
import { type ActivationName, parseActivationName } from "../tensor/ops/elementwise.js";

/**
 * The parts of a Hugging Face `config.json` the encoders need, in one camelCase shape
 * (DistilBERT's `dim` / `n_layers` / ... are mapped at this boundary).
 */
export interface EncoderConfig {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: ActivationName;
  layerNormEps: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  padTokenId: number;
  /** Classification labels (`id2label` / `num_labels`), 1 when absent. */
  numLabels: number;
  /** MPNet's relative attention buckets. */
  relativeAttentionNumBuckets: number;
  /** `architectures[0]` as written, e.g. `BertForSequenceClassification`. */
  architecture: string | undefined;
  /** Training only: dropout on hidden states (`hidden_dropout_prob`; DistilBERT `dropout`), default 0.1. */
  hiddenDropoutProb: number;
  /** Training only: dropout on attention probabilities (`attention_probs_dropout_prob`; DistilBERT `attention_dropout`), default 0.1. */
  attentionDropoutProb: number;
  /** The whole `config.json` object, for keys only one architecture reads (parsed in that architecture's file). */
  raw: Readonly<Record<string, unknown>>;
  /** `tie_word_embeddings` (default true): the masked-LM decoder reuses the word embedding table. */
  tieWordEmbeddings: boolean;
}

export type Json = Readonly<Record<string, unknown>>;

export function num(cfg: Json, keys: readonly string[], fallback?: number): number {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  if (fallback !== undefined) return fallback;
  throw new SbertError("INVALID_MODEL_FILE", `config.json lacks a numeric "${keys[0]}"`);
}

export function positiveInt(cfg: Json, keys: readonly string[], fallback?: number): number {
  const v = num(cfg, keys, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: "${keys[0]}" must be a positive integer, got ${v}`);
  return v;
}

/** A dropout probability in [0, 1) under the first of `keys` present; none means Hugging Face's default 0.1. */
function probability(cfg: Json, keys: readonly string[]): number {
  const v = num(cfg, keys, 0.1);
  if (!(v >= 0 && v < 1)) throw new SbertError("INVALID_MODEL_FILE", `config.json: "${keys.find((k) => k in cfg) ?? keys[0]}" must be in [0, 1), got ${v}`);
  return v;
}

/** Parses a `config.json` object (already JSON-decoded). */
export function parseEncoderConfig(raw: unknown): EncoderConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new SbertError("INVALID_MODEL_FILE", "config.json must hold a JSON object");
  }
  const cfg = raw as Json;
  const modelType = typeof cfg["model_type"] === "string" ? (cfg["model_type"] as string) : "";
  const distil = modelType === "distilbert";
  // T5Config's own names (its attribute_map aliases hidden_size → d_model, ...)
  const t5 = modelType === "t5";
  const act = cfg[distil ? "activation" : "hidden_act"] ?? "gelu";
  if (typeof act !== "string") throw new SbertError("UNSUPPORTED_FORMAT", "config.json: hidden_act must be a string");
  const id2label = cfg["id2label"];
  const labelsFromMap = id2label && typeof id2label === "object" ? Object.keys(id2label).length : undefined;
  const archs = cfg["architectures"];
  const hiddenSize = positiveInt(cfg, distil ? ["dim"] : t5 ? ["d_model"] : ["hidden_size"]);
  const numHeads = positiveInt(cfg, distil ? ["n_heads"] : t5 ? ["num_heads"] : ["num_attention_heads"]);
  // a head's width is hidden / heads unless the config states it (head_dim: Qwen3, Gemma3; d_kv: T5)
  if (cfg["head_dim"] === undefined && cfg["d_kv"] === undefined && hiddenSize % numHeads !== 0) {
    throw new SbertError("INVALID_MODEL_FILE", `config.json: hidden size ${hiddenSize} is not divisible by the ${numHeads} attention heads, and no head_dim is given`);
  }
  return {
    modelType,
    vocabSize: positiveInt(cfg, ["vocab_size"]),
    hiddenSize,
    numLayers: positiveInt(cfg, distil ? ["n_layers"] : t5 ? ["num_layers"] : ["num_hidden_layers"]),
    numHeads,
    intermediateSize: positiveInt(cfg, distil ? ["hidden_dim"] : t5 ? ["d_ff"] : ["intermediate_size"], 4 * hiddenSize),
    hiddenAct: parseActivationName(act),
    layerNormEps: distil ? 1e-12 : t5 ? num(cfg, ["layer_norm_epsilon"], 1e-6) : num(cfg, ["layer_norm_eps"], 1e-12),
    maxPositionEmbeddings: positiveInt(cfg, ["max_position_embeddings"], 512),
    typeVocabSize: num(cfg, ["type_vocab_size"], 0),
    padTokenId: num(cfg, ["pad_token_id"], 0),
    numLabels: positiveInt(cfg, ["num_labels"], labelsFromMap ?? 1),
    relativeAttentionNumBuckets: positiveInt(cfg, ["relative_attention_num_buckets"], 32),
    architecture: Array.isArray(archs) && typeof archs[0] === "string" ? archs[0] : undefined,
    hiddenDropoutProb: probability(cfg, [distil ? "dropout" : t5 ? "dropout_rate" : "hidden_dropout_prob"]),
    // decoders (Qwen3, Gemma3) and ModernBERT call it attention_dropout
    attentionDropoutProb: probability(cfg, distil ? ["attention_dropout"] : t5 ? ["dropout_rate"] : ["attention_probs_dropout_prob", "attention_dropout"]),
    tieWordEmbeddings: cfg["tie_word_embeddings"] !== false,
    raw: cfg,
  };
}

/** A number from an architecture's own config keys (`raw`), `fallback` when absent; INVALID_MODEL_FILE when neither. */
export function configNumber(raw: Readonly<Record<string, unknown>>, key: string, fallback?: number): number {
  return num(raw, [key], fallback);
}

/** A string from an architecture's own config keys (`raw`), `fallback` when absent or not a string. */
export function configString(raw: Readonly<Record<string, unknown>>, key: string, fallback: string): string {
  const v = raw[key];
  return typeof v === "string" ? v : fallback;
}
