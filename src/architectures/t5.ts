import { SbertError } from "../errors.js";
import { type ActivationName, parseActivationName } from "../tensor/ops/elementwise.js";
import { type EncoderConfig, configNumber, configString } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import { linearParams, param } from "./layers.js";
import { relativePositionBucket } from "./mpnet.js";
import type { LinearParams, Param } from "./ops.js";

/**
 * T5's encoder (`T5EncoderModel`, Raffel et al.), ported from transformers'
 * src/transformers/models/t5/modeling_t5.py and configuration_t5.py (huggingface/transformers): token embeddings (`shared`, not scaled),
 * pre-norm blocks of self-attention and a feed-forward (T5LayerNorm = RMS norm without mean or
 * bias; no linear biases), a final layer norm. Attention scores are not scaled (scale 1) and get a
 * learned relative position bias — bidirectional buckets, computed from block 0's table and reused
 * by every block. The feed-forward is `wo(act(wi(x)))`, or gated `wo(act(wi_0(x)) · wi_1(x))`, as
 * `feed_forward_proj` says (`gated-gelu` uses the tanh GELU, `gelu_new`).
 */

interface T5Block {
  attnNorm: Param;
  q: LinearParams;
  k: LinearParams;
  v: LinearParams;
  o: LinearParams;
  ffnNorm: Param;
  /** `wi` (ungated) or `wi_0` (gated, under the activation). */
  wi: LinearParams;
  /** `wi_1`, the gated feed-forward's linear branch. */
  gate: LinearParams | undefined;
  wo: LinearParams;
}

interface T5Weights extends ArchitectureWeights {
  shared: Param;
  relativeBias: Param;
  blocks: T5Block[];
  finalNorm: Param;
  act: ActivationName;
  headDim: number;
  maxDistance: number;
}

/** `T5Config`'s reading of `feed_forward_proj`: `{act}` or `gated-{act}`; `gated-gelu` means gelu_new. */
function feedForward(c: EncoderConfig): { gated: boolean; act: ActivationName } {
  const proj = configString(c.raw, "feed_forward_proj", "relu");
  const parts = proj.split("-");
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== "gated")) {
    throw new SbertError("INVALID_MODEL_FILE", `config.json: feed_forward_proj "${proj}" is not of the form "{act}" or "gated-{act}"`);
  }
  const gated = parts.length === 2;
  return { gated, act: parseActivationName(proj === "gated-gelu" ? "gelu_new" : (parts[parts.length - 1] as string)) };
}

export const t5: Architecture<T5Weights> = {
  positionOffset: () => 0,
  load(c, base) {
    const h = c.hiddenSize;
    const headDim = configNumber(c.raw, "d_kv", h / c.numHeads);
    const inner = c.numHeads * headDim;
    const { gated, act } = feedForward(c);
    const ln = (name: string): Param => param(base, `${name}.weight`, [h]);
    const blocks = Array.from({ length: c.numLayers }, (_, l): T5Block => {
      const attn = `encoder.block.${l}.layer.0`;
      const ff = `encoder.block.${l}.layer.1`;
      const lin = (name: string, out: number, inF: number): LinearParams => linearParams(base, name, out, inF, false);
      return {
        attnNorm: ln(`${attn}.layer_norm`),
        q: lin(`${attn}.SelfAttention.q`, inner, h),
        k: lin(`${attn}.SelfAttention.k`, inner, h),
        v: lin(`${attn}.SelfAttention.v`, inner, h),
        o: lin(`${attn}.SelfAttention.o`, h, inner),
        ffnNorm: ln(`${ff}.layer_norm`),
        wi: lin(`${ff}.DenseReluDense.${gated ? "wi_0" : "wi"}`, c.intermediateSize, h),
        gate: gated ? lin(`${ff}.DenseReluDense.wi_1`, c.intermediateSize, h) : undefined,
        wo: lin(`${ff}.DenseReluDense.wo`, h, c.intermediateSize),
      };
    });
    const sharedKey = base.has("shared.weight") || !base.has("encoder.embed_tokens.weight") ? "shared.weight" : "encoder.embed_tokens.weight";
    return {
      shared: param(base, sharedKey, [c.vocabSize, h]),
      relativeBias: param(base, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", [c.relativeAttentionNumBuckets, c.numHeads]),
      blocks,
      finalNorm: ln("encoder.final_layer_norm"),
      act,
      headDim,
      maxDistance: configNumber(c.raw, "relative_attention_max_distance", 128),
      head: undefined,
    };
  },
  usesTokenTypeIds: () => false,
  forward(o, w, c) {
    const eps = c.layerNormEps;
    const x0 = o.scope("embeddings", () => o.tokenEmbeddings(w.shared));
    const mask = o.scope("mask", () => o.attentionMask());
    const buckets = c.relativeAttentionNumBuckets;
    const bias = o.scope("position_bias", () => o.relativePositionBias(w.relativeBias, (offset) => relativePositionBucket(offset, buckets, w.maxDistance), c.maxPositionEmbeddings));
    const attention = { heads: c.numHeads, headDim: w.headDim, mask, bias, scale: 1 };
    let x = o.dropout(x0);
    w.blocks.forEach((b, i) => {
      x = o.scope(`encoder.block.${i}`, () => {
        const h = o.scope("attention", () => {
          const n = o.rmsNorm(x, b.attnNorm, eps, 0);
          return o.add(x, o.dropout(o.linear(o.attention(o.linear(n, b.q), o.linear(n, b.k), o.linear(n, b.v), attention), b.o)));
        });
        return o.scope("ffn", () => {
          const n = o.rmsNorm(h, b.ffnNorm, eps, 0);
          const up = o.activation(o.linear(n, b.wi), w.act);
          const inner = b.gate ? o.mul(up, o.linear(n, b.gate)) : up;
          return o.add(h, o.dropout(o.linear(o.dropout(inner), b.wo)));
        });
      });
    });
    return o.dropout(o.scope("final_layer_norm", () => o.rmsNorm(x, w.finalNorm, eps, 0)));
  },
};
