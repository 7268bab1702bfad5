import { SbertError } from "../errors.js";
import { type ActivationName, parseActivationName } from "../tensor/ops/elementwise.js";
import { type EncoderConfig, type Json, positiveInt } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import { param } from "./layers.js";
import type { ArchOps, Param } from "./ops.js";
import { type DecoderLayerParams, type DecoderShape, type LayerType, decoderAttention, decoderLayerParams, decoderShape, gatedMlp, layerTypesOf, ropeTheta } from "./qwen3.js";


interface Gemma3Layer extends DecoderLayerParams {
  preFeedforwardNorm: Param;
  postFeedforwardNorm: Param;
  kind: LayerType;
}

interface Gemma3Weights extends ArchitectureWeights {
  embed: Param;
  layers: Gemma3Layer[];
  norm: Param;
  shape: DecoderShape;
  act: ActivationName;
  /** RoPE base per layer type. */
  theta: Record<LayerType, number>;
  /** `query_pre_attn_scalar ** -0.5`. */
  scale: number;
  /** Sliding layers: key j visible from query i iff |i − j| ≤ window (and j ≤ i unless bidirectional). */
  window: number | undefined;
  bidirectional: boolean;
}

/** `layer_types`, or transformers' default from `sliding_window_pattern` (every 6th layer full). */
function layerTypes(c: EncoderConfig): LayerType[] {
  const pattern = positiveInt(c.raw, ["sliding_window_pattern", "_sliding_window_pattern"], 6);
  return layerTypesOf(c, (i) => ((i + 1) % pattern ? "sliding_attention" : "full_attention"));
}

/**
 * The two RoPE bases: transformers 5's `rope_parameters` per layer type, or transformers 4's
 * `rope_theta` (full layers, default 1e6) and `rope_local_base_freq` (sliding layers, default 1e4).
 */
function ropeThetas(cfg: Json): Record<LayerType, number> {
  const params = (cfg["rope_parameters"] ?? {}) as Json;
  return {
    full_attention: ropeTheta(params["full_attention"], cfg, 1_000_000, "gemma3_text full_attention"),
    sliding_attention: ropeTheta(params["sliding_attention"], { ...cfg, rope_theta: cfg["rope_local_base_freq"], rope_scaling: null }, 10_000, "gemma3_text sliding_attention"),
  };
}

/**
 * Sliding-window reach from config.json's `sliding_window` W. Bidirectional (EmbeddingGemma's
 * `use_bidirectional_attention`): transformers makes the config's window W // 2 + 1 and lets i see j
 * iff |i − j| < W // 2 + 1, i.e. |i − j| ≤ W // 2. Causal: i − W < j ≤ i, i.e. reach W − 1.
 */
function slidingReach(cfg: Json, bidirectional: boolean): number | undefined {
  const w = cfg["sliding_window"];
  if (w === null || w === undefined) return undefined;
  if (typeof w !== "number" || !Number.isInteger(w) || w <= 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: "sliding_window" must be a positive integer, got ${String(w)}`);
  return bidirectional ? Math.floor(w / 2) : w - 1;
}

/**
 * Gemma 3 text (`Gemma3TextModel`; with `use_bidirectional_attention` the EmbeddingGemma encoder):
 * token embeddings · sqrt(hidden) (rounded to float32), then layers of
 * x += post_attention_norm(attention(input_norm(x))); x += post_feedforward_norm(mlp(pre_feedforward_norm(x))),
 * every norm Gemma's RMSNorm with gain 1 + w, q/k RMS-normed per head before RoPE (one base per
 * layer type), scores scaled by query_pre_attn_scalar^−½, a gelu-tanh gated MLP, a final norm.
 * Sliding layers see keys within the window (`slidingReach`); full layers every non-pad key.
 * Port of transformers/src/transformers/models/gemma3/modeling_gemma3.py and configuration_gemma3.py (huggingface/transformers).
 */
export const gemma3: Architecture<Gemma3Weights> = {
  positionOffset: () => 0,
  load(c, base) {
    const cfg = c.raw;
    for (const k of ["attn_logit_softcapping"]) {
      if (cfg[k] !== null && cfg[k] !== undefined) throw new SbertError("UNSUPPORTED_FORMAT", `config.json: gemma3_text with ${k} is not supported`);
    }
    const shape = decoderShape(c, 1);
    const h = c.hiddenSize;
    const kinds = layerTypes(c);
    const bidirectional = cfg["use_bidirectional_attention"] === true;
    const act = cfg["hidden_activation"] ?? cfg["hidden_act"] ?? "gelu_pytorch_tanh";
    if (typeof act !== "string") throw new SbertError("UNSUPPORTED_FORMAT", "config.json: hidden_activation must be a string");
    const scalar = typeof cfg["query_pre_attn_scalar"] === "number" ? cfg["query_pre_attn_scalar"] : 256;
    return {
      embed: param(base, "embed_tokens.weight", [c.vocabSize, h]),
      layers: kinds.map((kind, l) => ({
        ...decoderLayerParams(base, c, shape, l),
        preFeedforwardNorm: param(base, `layers.${l}.pre_feedforward_layernorm.weight`, [h]),
        postFeedforwardNorm: param(base, `layers.${l}.post_feedforward_layernorm.weight`, [h]),
        kind,
      })),
      norm: param(base, "norm.weight", [h]),
      shape,
      act: parseActivationName(act),
      theta: ropeThetas(cfg),
      scale: scalar ** -0.5,
      window: slidingReach(cfg, bidirectional),
      bidirectional,
      head: undefined,
    };
  },
  usesTokenTypeIds: () => false,
  forward<V, M>(o: ArchOps<V, M>, w: Gemma3Weights) {
    const s = w.shape;
    const norm = (x: V, p: Param): V => o.rmsNorm(x, p, s.eps, 1);
    let x = o.scope("embeddings", () => o.scale(o.tokenEmbeddings(w.embed), Math.fround(Math.sqrt(w.embed.tensor.dim(1)))));
    const mask = o.scope("mask", () => o.attentionMask());
    w.layers.forEach((l, i) => {
      const attention = { heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, mask, scale: w.scale, causal: !w.bidirectional, window: l.kind === "sliding_attention" ? w.window : undefined };
      x = o.scope(`layers.${i}`, () => {
        const a = o.scope("self_attn", () => decoderAttention(o, norm(x, l.inputNorm), l, s, w.theta[l.kind], attention));
        const h = o.add(x, norm(a, l.postAttentionNorm));
        const m = o.scope("mlp", () => gatedMlp(o, norm(h, l.preFeedforwardNorm), l, w.act));
        return o.add(h, norm(m, l.postFeedforwardNorm));
      });
    });
    return o.scope("norm", () => norm(x, w.norm));
  },
};
