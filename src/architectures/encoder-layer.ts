import type { ActivationName } from "../tensor/ops/elementwise.js";
import type { EncoderConfig } from "./config.js";
import { linearParams, normParams } from "./layers.js";
import type { ArchOps, LinearParams, NormParams } from "./ops.js";
import type { ParamStore } from "./params.js";

/**
 * The weights of one post-LayerNorm encoder layer. BERT (and RoBERTa, XLM-R), DistilBERT and MPNet
 * differ only in what their checkpoints call them.
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

export interface PostNormStackOptions<V, M> {
  mask: M;
  /** Added to every layer's scores, (heads, T, T): MPNet's relative position bias. */
  bias?: V | undefined;
  /** Dropout after the attention output projection (true except DistilBERT, whose `out_lin` has none). */
  dropAfterAttention: boolean;
}

/**
 * Every post-LayerNorm layer, (B, T, H) → (B, T, H), each
 * x = LN(x + drop(O(attention(x)))); x = LN(x + drop(down(act(up(x))))).
 */
export function postNormLayers<V, M>(o: ArchOps<V, M>, x: V, layers: readonly EncoderLayerParams[], c: EncoderConfig, opts: PostNormStackOptions<V, M>): V {
  const attention = { heads: c.numHeads, headDim: c.hiddenSize / c.numHeads, mask: opts.mask, bias: opts.bias };
  layers.forEach((l, i) => {
    x = o.scope(`encoder.layer.${i}`, () => {
      const h = o.scope("attention", () => {
        const attnOut = o.linear(o.attention(o.linear(x, l.q), o.linear(x, l.k), o.linear(x, l.v), attention), l.o);
        return o.layerNorm(o.add(opts.dropAfterAttention ? o.dropout(attnOut) : attnOut, x), l.attnNorm, c.layerNormEps);
      });
      return o.scope("ffn", () => {
        const inner = o.activation(o.linear(h, l.up), c.hiddenAct);
        return o.layerNorm(o.add(o.dropout(o.linear(inner, l.down)), h), l.outNorm, c.layerNormEps);
      });
    });
  });
  return x;
}

/**
 * A sequence-classification head: pool → `dense → act` (→ LayerNorm) → `out`. BERT's pooler +
 * classifier, RoBERTa's and DistilBERT's read the first token; ModernBERT's
 * (`ModernBertPredictionHead`) may pool the mean of the attended tokens and norms after the activation.
 */
export interface FirstTokenHead {
  dense: LinearParams;
  act: ActivationName;
  out: LinearParams;
  /** What the head reads: the first token (default) or the mean over attended tokens. */
  pool?: "first" | "mean";
  /** A LayerNorm after the activation (ModernBERT's head.norm). */
  norm?: { params: NormParams; eps: number };
}

/** The head's logits (B, numLabels) from the last hidden state (B, T, H). */
export function firstTokenHead<V, M>(o: ArchOps<V, M>, hidden: V, head: FirstTokenHead): V {
  return o.scope("classifier", () => {
    const pooled = head.pool === "mean" ? o.meanTokens(hidden) : o.firstToken(hidden);
    const h = o.activation(o.linear(pooled, head.dense), head.act);
    return o.linear(head.norm ? o.layerNorm(h, head.norm.params, head.norm.eps) : h, head.out);
  });
}
