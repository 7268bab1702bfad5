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
  /** `tie_word_embeddings` (default true): the masked-LM decoder reuses the word embedding table. */
  tieWordEmbeddings: boolean;
}

type Json = Record<string, unknown>;

function num(cfg: Json, keys: readonly string[], fallback?: number): number {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  if (fallback !== undefined) return fallback;
  throw new SbertError("INVALID_MODEL_FILE", `config.json lacks a numeric "${keys[0]}"`);
}

function positiveInt(cfg: Json, keys: readonly string[], fallback?: number): number {
  const v = num(cfg, keys, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: "${keys[0]}" must be a positive integer, got ${v}`);
  return v;
}

/** A dropout probability in [0, 1); absent means Hugging Face's default 0.1. */
function probability(cfg: Json, key: string): number {
  const v = num(cfg, [key], 0.1);
  if (!(v >= 0 && v < 1)) throw new SbertError("INVALID_MODEL_FILE", `config.json: "${key}" must be in [0, 1), got ${v}`);
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
  const act = cfg[distil ? "activation" : "hidden_act"] ?? "gelu";
  if (typeof act !== "string") throw new SbertError("UNSUPPORTED_FORMAT", "config.json: hidden_act must be a string");
  const id2label = cfg["id2label"];
  const labelsFromMap = id2label && typeof id2label === "object" ? Object.keys(id2label).length : undefined;
  const archs = cfg["architectures"];
  const hiddenSize = positiveInt(cfg, distil ? ["dim"] : ["hidden_size"]);
  return {
    modelType,
    vocabSize: positiveInt(cfg, ["vocab_size"]),
    hiddenSize,
    numLayers: positiveInt(cfg, distil ? ["n_layers"] : ["num_hidden_layers"]),
    numHeads: positiveInt(cfg, distil ? ["n_heads"] : ["num_attention_heads"]),
    intermediateSize: positiveInt(cfg, distil ? ["hidden_dim"] : ["intermediate_size"], 4 * hiddenSize),
    hiddenAct: parseActivationName(act),
    layerNormEps: distil ? 1e-12 : num(cfg, ["layer_norm_eps"], 1e-12),
    maxPositionEmbeddings: positiveInt(cfg, ["max_position_embeddings"], 512),
    typeVocabSize: num(cfg, ["type_vocab_size"], 0),
    padTokenId: num(cfg, ["pad_token_id"], 0),
    numLabels: positiveInt(cfg, ["num_labels"], labelsFromMap ?? 1),
    relativeAttentionNumBuckets: positiveInt(cfg, ["relative_attention_num_buckets"], 32),
    architecture: Array.isArray(archs) && typeof archs[0] === "string" ? archs[0] : undefined,
    hiddenDropoutProb: probability(cfg, distil ? "dropout" : "hidden_dropout_prob"),
    attentionDropoutProb: probability(cfg, distil ? "attention_dropout" : "attention_probs_dropout_prob"),
    tieWordEmbeddings: cfg["tie_word_embeddings"] !== false,
  };
}
