import type * as Ort from "onnxruntime-node";
import type { EncoderBatch } from "../architectures/encoder.js";
import { SbertError } from "../errors.js";
import { toInt64 } from "./int64.js";

type OrtModule = typeof Ort;

/** How one graph input is filled from a tokenized batch. */
type FeedSource =
  | { kind: "input_ids" | "attention_mask" | "token_type_ids" | "position_ids"; type: "int64" | "int32" }
  /** A key/value cache input of a decoder export, fed empty (past length 0): this is a single forward. */
  | { kind: "empty-past"; type: "float32" | "float16"; dims: readonly (number | string)[] }
  /** Optimum's merged-decoder switch: false = the branch without a cache. */
  | { kind: "use-cache-branch" };

export interface FeedPlan {
  readonly inputs: ReadonlyMap<string, FeedSource>;
  readonly withTypes: boolean;
}

const ID_INPUTS = new Set(["input_ids", "attention_mask", "token_type_ids", "position_ids"]);
/** Names Optimum / transformers.js exports give a decoder's key/value cache inputs. */
const PAST = /^past_key_values\.\d+\.(key|value)$|^past_(key|value)s?(\.\d+|_\d+)?$|^past\.\d+\.(key|value)$/;

/**
 * Decides, from the graph's own input metadata, what each input is fed: our exports take
 * `input_ids`, `attention_mask` and maybe `token_type_ids`; a model that ships its own export
 * (Optimum, transformers.js) may add `position_ids` and, for a decoder, the empty key/value cache.
 * The integer type is the graph's (int64 or int32). Any other input is INVALID_MODEL_FILE at load,
 * naming it, rather than an ONNX Runtime error on the first batch.
 *
 * position_ids are 0..T−1 in every row, padding included: what sentence-transformers computes, since
 * it passes no position ids and transformers then numbers the padded positions
 * (transformers/src/transformers/models/qwen3/modeling_qwen3.py `Qwen3Model.forward`: `position_ids = cache_position.unsqueeze(0)`).
 */
export function planFeeds(metadata: readonly Ort.InferenceSession.ValueMetadata[], path: string): FeedPlan {
  const inputs = new Map<string, FeedSource>();
  for (const m of metadata) {
    const type = m.isTensor ? m.type : undefined;
    if (ID_INPUTS.has(m.name)) {
      if (type !== undefined && type !== "int64" && type !== "int32") {
        throw new SbertError("INVALID_MODEL_FILE", `${path}: input "${m.name}" has type ${type}; sentence-transformers graphs take int64 (or int32) ids`);
      }
      inputs.set(m.name, { kind: m.name as "input_ids", type: type ?? "int64" });
    } else if (PAST.test(m.name) && m.isTensor && (m.type === "float32" || m.type === "float16")) {
      inputs.set(m.name, { kind: "empty-past", type: m.type, dims: m.shape });
    } else if (m.name === "use_cache_branch") {
      inputs.set(m.name, { kind: "use-cache-branch" });
    } else {
      throw new SbertError(
        "INVALID_MODEL_FILE",
        `${path}: the ONNX graph takes an input "${m.name}" that a text embedding model is not fed (known: input_ids, attention_mask, token_type_ids, position_ids, past_key_values.*, use_cache_branch)`,
      );
    }
  }
  for (const required of ["input_ids", "attention_mask"]) {
    if (!inputs.has(required)) {
      throw new SbertError("INVALID_MODEL_FILE", `${path}: the ONNX graph has no "${required}" input (inputs: ${metadata.map((m) => m.name).join(", ")})`);
    }
  }
  return { inputs, withTypes: inputs.has("token_type_ids") };
}

/** The feeds of one batch under `plan`. */
export function buildFeeds(ort: OrtModule, plan: FeedPlan, batch: EncoderBatch): Record<string, Ort.Tensor> {
  const dims = [batch.batchSize, batch.seqLen];
  const ids = (a: Int32Array, type: "int64" | "int32"): Ort.Tensor => (type === "int64" ? new ort.Tensor("int64", toInt64(a), dims) : new ort.Tensor("int32", a, dims));
  const feeds: Record<string, Ort.Tensor> = {};
  for (const [name, src] of plan.inputs) {
    switch (src.kind) {
      case "input_ids":
        feeds[name] = ids(batch.inputIds, src.type);
        break;
      case "attention_mask":
        feeds[name] = ids(batch.attentionMask, src.type);
        break;
      case "token_type_ids":
        feeds[name] = ids(batch.tokenTypeIds, src.type);
        break;
      case "position_ids":
        feeds[name] = ids(sequentialPositions(batch.batchSize, batch.seqLen), src.type);
        break;
      case "empty-past": {
        const shape = pastShape(src.dims, batch.batchSize, name);
        feeds[name] = src.type === "float32" ? new ort.Tensor("float32", new Float32Array(0), shape) : new ort.Tensor("float16", new Uint16Array(0), shape);
        break;
      }
      case "use-cache-branch":
        feeds[name] = new ort.Tensor("bool", new Uint8Array([0]), [1]);
        break;
    }
  }
  return feeds;
}

function sequentialPositions(batchSize: number, seqLen: number): Int32Array {
  const out = new Int32Array(batchSize * seqLen);
  for (let b = 0; b < batchSize; b++) for (let t = 0; t < seqLen; t++) out[b * seqLen + t] = t;
  return out;
}

/**
 * An empty cache's shape from its declared dims, e.g. [batch_size, 8, past_sequence_length, 64]
 * → [B, 8, 0, 64]: the first dim is the batch; any other symbolic dim is the past length (0).
 */
function pastShape(dims: readonly (number | string)[], batchSize: number, name: string): number[] {
  if (dims.length < 3) throw new SbertError("INVALID_MODEL_FILE", `cache input "${name}" has ${dims.length} dims; expected (batch, heads, past, head_dim)`);
  const shape = dims.map((d, i) => (typeof d === "number" && d >= 0 ? d : i === 0 ? batchSize : 0));
  if (!shape.includes(0)) throw new SbertError("INVALID_MODEL_FILE", `cache input "${name}" declares no past-length dimension (dims ${dims.join(", ")})`);
  return shape;
}
