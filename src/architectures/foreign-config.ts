import { SbertError } from "../errors.js";
import type { EncoderConfig } from "./config.js";
import { isNativeModelType, supportedModelTypes } from "./registry.js";

type Json = Record<string, unknown>;

function firstPositiveInt(cfg: Json, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

/**
 * The config of a `model_type` without a definition here, which runs only from the ONNX graph its
 * folder ships: just what the pipeline around the graph needs, read leniently under the names
 * Hugging Face configs use (`hidden_size` / `d_model` / `dim` / `n_embd`; `max_position_embeddings`
 * / `n_positions`). `hiddenSize` is 0 when the config names none (the graph's declared width is used,
 * see Transformer.load); `maxPositionEmbeddings` is unbounded when the config names no table
 * (the tokenizer's `model_max_length` and `max_seq_length` still apply). The layer fields are unused
 * (no native encoder is built) and set to 1.
 */
export function parseForeignConfig(raw: Json): EncoderConfig {
  const modelType = typeof raw["model_type"] === "string" ? raw["model_type"] : "";
  const archs = raw["architectures"];
  const id2label = raw["id2label"];
  const labels = id2label && typeof id2label === "object" ? Object.keys(id2label).length : undefined;
  return {
    modelType,
    vocabSize: firstPositiveInt(raw, ["vocab_size"]) ?? Number.MAX_SAFE_INTEGER,
    hiddenSize: firstPositiveInt(raw, ["hidden_size", "d_model", "dim", "n_embd"]) ?? 0,
    numLayers: 1,
    numHeads: 1,
    intermediateSize: 1,
    hiddenAct: "identity",
    layerNormEps: 1e-12,
    maxPositionEmbeddings: firstPositiveInt(raw, ["max_position_embeddings", "n_positions"]) ?? Number.MAX_SAFE_INTEGER,
    typeVocabSize: firstPositiveInt(raw, ["type_vocab_size"]) ?? 0,
    padTokenId: firstPositiveInt(raw, ["pad_token_id"]) ?? 0,
    numLabels: firstPositiveInt(raw, ["num_labels"]) ?? labels ?? 1,
    relativeAttentionNumBuckets: 1,
    architecture: Array.isArray(archs) && typeof archs[0] === "string" ? archs[0] : undefined,
    hiddenDropoutProb: 0,
    attentionDropoutProb: 0,
    tieWordEmbeddings: raw["tie_word_embeddings"] !== false,
    raw,
  };
}

/** UNSUPPORTED_FORMAT for running `modelType` natively (or exporting it), saying what does run it. */
export function noNativeImplementation(modelType: string, dir: string, onnxFile: string, hasOnnx: boolean): SbertError {
  const named = modelType === "" ? "config.json names no model_type" : `model_type "${modelType}" has no native implementation here`;
  const supported = `supported natively: ${supportedModelTypes().join(", ")}`;
  const way = hasOnnx
    ? `; ${dir} ships onnx/${onnxFile}: load it with backend "onnx" (--backend onnx), or "auto" with onnxruntime-node installed`
    : `; a folder that ships an ONNX export (onnx/${onnxFile}) runs on the onnx backend, and this one has none`;
  return new SbertError("UNSUPPORTED_FORMAT", `${named} (${supported})${way}`);
}

export { isNativeModelType };
