import { SbertError } from "../errors.js";
import { linear } from "../tensor/ops/linear.js";
import { layerNorm } from "../tensor/ops/layer-norm.js";
import { selectRows } from "../tensor/ops/shape.js";
import { Tensor } from "../tensor/tensor.js";
import type { ParamStore } from "./params.js";

/** Weight (out, in) and optional bias (out) of an `nn.Linear`. */
export interface LinearParams {
  weight: Tensor;
  bias: Tensor | undefined;
}

/** Gamma and beta of an `nn.LayerNorm`. */
export interface NormParams {
  weight: Tensor;
  bias: Tensor;
}

/** Reads `${name}.weight` (out, in) and `${name}.bias` (out), checking the shapes. */
export function linearParams(p: ParamStore, name: string, outF: number, inF: number, withBias = true): LinearParams {
  return { weight: p.get(`${name}.weight`, [outF, inF]), bias: withBias ? p.get(`${name}.bias`, [outF]) : undefined };
}

export function normParams(p: ParamStore, name: string, width: number): NormParams {
  return { weight: p.get(`${name}.weight`, [width]), bias: p.get(`${name}.bias`, [width]) };
}

export function applyLinear(x: Tensor, l: LinearParams): Tensor {
  return linear(x, l.weight, l.bias);
}

export function applyNorm(x: Tensor, n: NormParams, eps: number): Tensor {
  return layerNorm(x, n.weight, n.bias, eps);
}

/** Position ids 0..seqLen-1 for every row (BERT, DistilBERT), (batchSize · seqLen). */
export function sequentialPositionIds(batchSize: number, seqLen: number): Int32Array {
  const out = new Int32Array(batchSize * seqLen);
  for (let i = 0; i < out.length; i++) out[i] = i % seqLen;
  return out;
}

/**
 * RoBERTa / XLM-R / MPNet position ids: real tokens count up from paddingIdx + 1, padding tokens
 * (input id == paddingIdx) get paddingIdx, as `create_position_ids_from_input_ids`.
 */
export function paddedPositionIds(inputIds: Int32Array, batchSize: number, seqLen: number, paddingIdx: number): Int32Array {
  const out = new Int32Array(inputIds.length);
  for (let b = 0; b < batchSize; b++) {
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      const i = b * seqLen + t;
      if (inputIds[i] !== paddingIdx) out[i] = paddingIdx + ++count;
      else out[i] = paddingIdx;
    }
  }
  return out;
}

/** The first token's hidden state of every row: (batchSize · seqLen, C) → (batchSize, C). Differentiable. */
export function firstTokens(hidden: Tensor, batchSize: number, seqLen: number): Tensor {
  return selectRows(
    hidden,
    Array.from({ length: batchSize }, (_, b) => b * seqLen),
  );
}

export function noClassifier(modelType: string): never {
  throw new SbertError("INVALID_OPERATION", `this ${modelType} checkpoint has no sequence-classification head; load it as a SentenceTransformer`);
}
