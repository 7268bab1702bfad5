import { multiHeadAttention } from "../tensor/ops/attention.js";
import { activation, add } from "../tensor/ops/elementwise.js";
import type { Tensor } from "../tensor/tensor.js";
import type { EncoderConfig } from "./config.js";
import type { DropoutState, EncoderBatch } from "./encoder.js";
import { type LinearParams, type NormParams, applyLinear, applyNorm, linearParams, normParams } from "./layers.js";
import type { ParamStore } from "./params.js";

/**
 * The weights of one post-LayerNorm encoder layer. BERT (and RoBERTa, XLM-R), DistilBERT and MPNet
 * differ only in what their checkpoints call them; the ONNX exporter reads the same list.
 */
export interface EncoderLayerParams {
  q: LinearParams;
  k: LinearParams;
  v: LinearParams;
  /** Attention output projection. */
  o: LinearParams;
  attnNorm: NormParams;
  /** Feed-forward: hidden → intermediate, activation, intermediate → hidden. */
  up: LinearParams;
  down: LinearParams;
  outNorm: NormParams;
}

/** Checkpoint name of each of a layer's modules, e.g. BERT's `encoder.layer.0.attention.self.query`. */
export type EncoderLayerNames = Record<keyof EncoderLayerParams, string>;

/** Reads one layer's weights under the checkpoint's names, checking every shape. */
export function encoderLayerParams(p: ParamStore, n: EncoderLayerNames, hidden: number, intermediate: number): EncoderLayerParams {
  return {
    q: linearParams(p, n.q, hidden, hidden),
    k: linearParams(p, n.k, hidden, hidden),
    v: linearParams(p, n.v, hidden, hidden),
    o: linearParams(p, n.o, hidden, hidden),
    attnNorm: normParams(p, n.attnNorm, hidden),
    up: linearParams(p, n.up, intermediate, hidden),
    down: linearParams(p, n.down, hidden, intermediate),
    outNorm: normParams(p, n.outNorm, hidden),
  };
}

/** Every layer of an encoder: `names(l)` gives layer l's checkpoint names. */
export function encoderLayersParams(p: ParamStore, c: EncoderConfig, names: (layer: number) => EncoderLayerNames): EncoderLayerParams[] {
  return Array.from({ length: c.numLayers }, (_, l) => encoderLayerParams(p, names(l), c.hiddenSize, c.intermediateSize));
}

export interface PostNormLayerOptions {
  /** Added to every head's scores, (heads, T, T): MPNet's relative position bias. */
  bias?: Tensor | undefined;
  /** Dropout after the attention output projection (true except DistilBERT, whose `out_lin` has none). */
  dropAfterAttention: boolean;
}

/**
 * One post-LayerNorm layer, (B·T, H) → (B·T, H):
 * x = LN(x + drop(O(attention(x)))); x = LN(x + drop(down(act(up(x))))).
 */
export function postNormLayer(x: Tensor, l: EncoderLayerParams, c: EncoderConfig, batch: EncoderBatch, drop: DropoutState, opts: PostNormLayerOptions): Tensor {
  const ctx = multiHeadAttention(applyLinear(x, l.q), applyLinear(x, l.k), applyLinear(x, l.v), {
    batch: batch.batchSize,
    seqLen: batch.seqLen,
    heads: c.numHeads,
    keyMask: batch.attentionMask,
    ...(opts.bias ? { bias: opts.bias } : {}),
    ...drop.attention(),
  });
  const attnOut = applyLinear(ctx, l.o);
  const h = applyNorm(add(opts.dropAfterAttention ? drop.hidden(attnOut) : attnOut, x), l.attnNorm, c.layerNormEps);
  const inner = activation(applyLinear(h, l.up), c.hiddenAct);
  return applyNorm(add(drop.hidden(applyLinear(inner, l.down)), h), l.outNorm, c.layerNormEps);
}
