import { SbertError } from "../errors.js";
import type { ActivationName } from "../tensor/ops/elementwise.js";
import { type EncoderConfig, type Json, num, positiveInt } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import { linearParams, param } from "./layers.js";
import type { ArchOps, AttentionOptions, LinearParams, Param } from "./ops.js";
import type { ParamStore } from "./params.js";

/**
 * The attention shape of a Llama-family config: query heads, key/value heads (GQA) and head width,
 * which need not multiply to hidden_size (`head_dim`).
 */
export interface DecoderShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  /** `rms_norm_eps`. */
  eps: number;
  /** The RMSNorm gain: w (0, Qwen3) or 1 + w (1, Gemma). */
  normOffset: 0 | 1;
}

export function decoderShape(c: EncoderConfig, normOffset: 0 | 1): DecoderShape {
  const heads = c.numHeads;
  const kvHeads = positiveInt(c.raw, ["num_key_value_heads"], heads);
  const headDim = positiveInt(c.raw, ["head_dim"], Math.floor(c.hiddenSize / heads));
  if (heads % kvHeads !== 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  if (headDim % 2 !== 0) throw new SbertError("INVALID_MODEL_FILE", `config.json: head_dim ${headDim} must be even for rotary position embeddings`);
  return { heads, kvHeads, headDim, eps: num(c.raw, ["rms_norm_eps"], 1e-6), normOffset };
}

/**
 * `rope_theta` of one rope-parameter block: transformers 5's `rope_parameters` (`{ rope_theta, rope_type }`,
 * or one block per layer type for Gemma3) or transformers 4's top-level `rope_theta`. Only the
 * default rope type (no scaling) is supported; others are UNSUPPORTED_FORMAT.
 */
export function ropeTheta(block: unknown, cfg: Json, fallback: number, what: string): number {
  const b = (block && typeof block === "object" ? block : {}) as Json;
  const type = b["rope_type"] ?? b["type"] ?? (cfg["rope_scaling"] as Json | null | undefined)?.["rope_type"] ?? "default";
  if (type !== "default") throw new SbertError("UNSUPPORTED_FORMAT", `config.json: rope_type "${String(type)}" (${what}) is not supported; only "default" rotary embeddings are`);
  return num(b, ["rope_theta"], num(cfg, ["rope_theta"], fallback));
}

/** The attention kind of one layer (transformers 5's `layer_types` entries). */
export type LayerType = "sliding_attention" | "full_attention";

/**
 * config.json's `layer_types` (one known type per layer, else INVALID_MODEL_FILE), or, for a config
 * without it (transformers 4), `fallback(layer)` for each layer: the architecture's older rule.
 */
export function layerTypesOf(c: EncoderConfig, fallback: (layer: number) => LayerType): LayerType[] {
  const raw = c.raw["layer_types"];
  if (Array.isArray(raw)) {
    if (raw.length !== c.numLayers || raw.some((t) => t !== "sliding_attention" && t !== "full_attention")) {
      throw new SbertError("INVALID_MODEL_FILE", `config.json: layer_types must list "sliding_attention" / "full_attention" for each of the ${c.numLayers} layers`);
    }
    return raw as LayerType[];
  }
  return Array.from({ length: c.numLayers }, (_, i) => fallback(i));
}

/** One decoder layer's weights: pre-norm attention with per-head q/k RMSNorm, and a gated MLP. */
export interface DecoderLayerParams {
  inputNorm: Param;
  q: LinearParams;
  k: LinearParams;
  v: LinearParams;
  o: LinearParams;
  qNorm: Param;
  kNorm: Param;
  postAttentionNorm: Param;
  gate: LinearParams;
  up: LinearParams;
  down: LinearParams;
}

/** Layer l of a Qwen3 / Gemma3 checkpoint (`layers.0.self_attn.q_proj`, ...); biases when `attention_bias`. */
export function decoderLayerParams(p: ParamStore, c: EncoderConfig, s: DecoderShape, l: number): DecoderLayerParams {
  const n = `layers.${l}`;
  const h = c.hiddenSize;
  const bias = c.raw["attention_bias"] === true;
  return {
    inputNorm: param(p, `${n}.input_layernorm.weight`, [h]),
    q: linearParams(p, `${n}.self_attn.q_proj`, s.heads * s.headDim, h, bias),
    k: linearParams(p, `${n}.self_attn.k_proj`, s.kvHeads * s.headDim, h, bias),
    v: linearParams(p, `${n}.self_attn.v_proj`, s.kvHeads * s.headDim, h, bias),
    o: linearParams(p, `${n}.self_attn.o_proj`, h, s.heads * s.headDim, bias),
    qNorm: param(p, `${n}.self_attn.q_norm.weight`, [s.headDim]),
    kNorm: param(p, `${n}.self_attn.k_norm.weight`, [s.headDim]),
    postAttentionNorm: param(p, `${n}.post_attention_layernorm.weight`, [h]),
    gate: linearParams(p, `${n}.mlp.gate_proj`, c.intermediateSize, h, false),
    up: linearParams(p, `${n}.mlp.up_proj`, c.intermediateSize, h, false),
    down: linearParams(p, `${n}.mlp.down_proj`, h, c.intermediateSize, false),
  };
}

/**
 * Self-attention of a Qwen3 / Gemma3 layer on normed input x (B, T, H): q and k are RMS-normed per
 * head (before RoPE), rotated, attended (GQA), projected back: (B, T, H).
 */
export function decoderAttention<V, M>(o: ArchOps<V, M>, x: V, l: DecoderLayerParams, s: DecoderShape, theta: number, attention: AttentionOptions<V, M>): V {
  const q = o.rotary(o.rmsNorm(o.linear(x, l.q), l.qNorm, s.eps, s.normOffset), { heads: s.heads, headDim: s.headDim, theta });
  const k = o.rotary(o.rmsNorm(o.linear(x, l.k), l.kNorm, s.eps, s.normOffset), { heads: s.kvHeads, headDim: s.headDim, theta });
  return o.linear(o.attention(q, k, o.linear(x, l.v), attention), l.o);
}

/** down(act(gate(x)) · up(x)): SiLU for Qwen3, gelu-tanh for Gemma3. */
export function gatedMlp<V, M>(o: ArchOps<V, M>, x: V, l: DecoderLayerParams, act: ActivationName): V {
  return o.linear(o.mul(o.activation(o.linear(x, l.gate), act), o.linear(x, l.up)), l.down);
}

interface Qwen3Weights extends ArchitectureWeights {
  embed: Param;
  layers: DecoderLayerParams[];
  norm: Param;
  shape: DecoderShape;
  theta: number;
}

/**
 * Qwen3 (the Qwen3-Embedding backbone, `Qwen3Model`): token embeddings, pre-RMSNorm decoder layers
 * with causal grouped-query attention, per-head q/k RMSNorm before RoPE, a SiLU-gated MLP, and a
 * final RMSNorm. Position ids are 0..T−1 of the padded batch, as sentence-transformers passes none
 * (with the tokenizer's left padding, a row's first real token sits at the number of pads).
 * Port of transformers/src/transformers/models/qwen3/modeling_qwen3.py (huggingface/transformers).
 */
export const qwen3: Architecture<Qwen3Weights> = {
  positionOffset: () => 0,
  load(c, base) {
    if (c.raw["use_sliding_window"] === true) throw new SbertError("UNSUPPORTED_FORMAT", "config.json: Qwen3 with use_sliding_window is not supported");
    const shape = decoderShape(c, 0);
    return {
      embed: param(base, "embed_tokens.weight", [c.vocabSize, c.hiddenSize]),
      layers: Array.from({ length: c.numLayers }, (_, l) => decoderLayerParams(base, c, shape, l)),
      norm: param(base, "norm.weight", [c.hiddenSize]),
      shape,
      theta: ropeTheta(c.raw["rope_parameters"], c.raw, 10000, "qwen3"),
      head: undefined,
    };
  },
  usesTokenTypeIds: () => false,
  forward(o, w, c) {
    const s = w.shape;
    let x = o.scope("embeddings", () => o.tokenEmbeddings(w.embed));
    const mask = o.scope("mask", () => o.attentionMask());
    const attention = { heads: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, mask, causal: true };
    w.layers.forEach((l, i) => {
      x = o.scope(`layers.${i}`, () => {
        const h = o.add(x, o.scope("self_attn", () => decoderAttention(o, o.rmsNorm(x, l.inputNorm, s.eps, 0), l, s, w.theta, attention)));
        return o.add(h, o.scope("mlp", () => gatedMlp(o, o.rmsNorm(h, l.postAttentionNorm, s.eps, 0), l, c.hiddenAct)));
      });
    });
    return o.scope("norm", () => o.rmsNorm(x, w.norm, s.eps, 0));
  },
};
