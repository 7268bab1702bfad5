import { SbertError } from "../errors.js";
import { type ActivationName, parseActivationName } from "../tensor/ops/elementwise.js";
import { type EncoderConfig, type Json, num, positiveInt } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import type { FirstTokenHead } from "./encoder-layer.js";
import { linearParams, normParams, param } from "./layers.js";
import type { LinearParams, NormParams, Param } from "./ops.js";
import type { ParamStore } from "./params.js";
import { type LayerType, layerTypesOf, ropeTheta } from "./qwen3.js";


interface ModernBertLayer {
  /** Absent in layer 0 (`nn.Identity`: the embeddings are already normed). */
  attnNorm: NormParams | undefined;
  wqkv: LinearParams;
  wo: LinearParams;
  mlpNorm: NormParams;
  wi: LinearParams;
  mlpWo: LinearParams;
  kind: LayerType;
}

interface ModernBertWeights extends ArchitectureWeights {
  embed: Param;
  embedNorm: NormParams;
  layers: ModernBertLayer[];
  finalNorm: NormParams;
  act: ActivationName;
  eps: number;
  theta: Record<LayerType, number>;
  /** Sliding layers: key j visible from query i iff |i − j| ≤ local_attention // 2. */
  window: number;
}

function activationOf(cfg: Json, key: string): ActivationName {
  const act = cfg[key] ?? "gelu";
  if (typeof act !== "string") throw new SbertError("UNSUPPORTED_FORMAT", `config.json: ${key} must be a string`);
  return parseActivationName(act);
}

/** `layer_types`, or the transformers-4 rule: layer i is global when i % global_attn_every_n_layers == 0. */
function layerTypes(c: EncoderConfig): LayerType[] {
  const every = positiveInt(c.raw, ["global_attn_every_n_layers"], 1);
  return layerTypesOf(c, (i) => (i % every === 0 ? "full_attention" : "sliding_attention"));
}

/** RoPE bases: `rope_parameters` per layer type, or transformers 4's `global_rope_theta` (160000) / `local_rope_theta` (10000). */
function ropeThetas(cfg: Json): Record<LayerType, number> {
  const params = (cfg["rope_parameters"] ?? {}) as Json;
  return {
    full_attention: ropeTheta(params["full_attention"], { rope_theta: cfg["global_rope_theta"] }, 160_000, "modernbert full_attention"),
    sliding_attention: ropeTheta(params["sliding_attention"], { rope_theta: cfg["local_rope_theta"] }, 10_000, "modernbert sliding_attention"),
  };
}

/**
 * `ModernBertForSequenceClassification`'s head (keys outside the `model.` prefix): pool (`classifier_pooling`
 * cls or mean) → head.dense → `classifier_activation` → head.norm → classifier.
 */
function modernBertHead(root: ParamStore, c: EncoderConfig): FirstTokenHead | undefined {
  if (!root.has("classifier.weight")) return undefined;
  const cfg = c.raw;
  const pooling = cfg["classifier_pooling"] ?? "cls";
  if (pooling !== "cls" && pooling !== "mean") throw new SbertError("UNSUPPORTED_FORMAT", `config.json: classifier_pooling "${String(pooling)}" is not supported; use "cls" or "mean"`);
  const h = c.hiddenSize;
  return {
    dense: linearParams(root, "head.dense", h, h, cfg["classifier_bias"] === true),
    act: activationOf(cfg, "classifier_activation"),
    norm: { params: normParams(root, "head.norm", h, cfg["norm_bias"] === true), eps: num(cfg, ["norm_eps"], 1e-5) },
    pool: pooling === "mean" ? "mean" : "first",
    out: linearParams(root, "classifier", c.numLabels, h),
  };
}

/**
 * ModernBERT (Warner et al.; `ModernBertModel`): token embeddings + LayerNorm, pre-norm layers of
 * fused-QKV attention with RoPE (one base for global, one for sliding layers; sliding layers see
 * |i − j| ≤ local_attention // 2, global layers every non-pad key, never causal) and a GeGLU MLP
 * (Wi → input, gate; Wo(act(input) · gate)), then final_norm. LayerNorms and linears carry biases
 * only when `norm_bias` / `attention_bias` / `mlp_bias` say so (false in released checkpoints).
 * Training: ModernBERT's embedding / attention / mlp dropouts are not applied (they are 0 in the
 * released configs). Port of transformers/src/transformers/models/modernbert/modeling_modernbert.py.
 */
export const modernbert: Architecture<ModernBertWeights> = {
  positionOffset: () => 0,
  load(c, base, root) {
    const cfg = c.raw;
    const h = c.hiddenSize;
    const normBias = cfg["norm_bias"] === true;
    const attnBias = cfg["attention_bias"] === true;
    const mlpBias = cfg["mlp_bias"] === true;
    const inner = c.intermediateSize;
    return {
      embed: param(base, "embeddings.tok_embeddings.weight", [c.vocabSize, h]),
      embedNorm: normParams(base, "embeddings.norm", h, normBias),
      layers: layerTypes(c).map((kind, l) => {
        const n = `layers.${l}`;
        return {
          attnNorm: l === 0 ? undefined : normParams(base, `${n}.attn_norm`, h, normBias),
          wqkv: linearParams(base, `${n}.attn.Wqkv`, 3 * h, h, attnBias),
          wo: linearParams(base, `${n}.attn.Wo`, h, h, attnBias),
          mlpNorm: normParams(base, `${n}.mlp_norm`, h, normBias),
          wi: linearParams(base, `${n}.mlp.Wi`, 2 * inner, h, mlpBias),
          mlpWo: linearParams(base, `${n}.mlp.Wo`, h, inner, mlpBias),
          kind,
        };
      }),
      finalNorm: normParams(base, "final_norm", h, normBias),
      act: activationOf(cfg, "hidden_activation"),
      eps: num(cfg, ["norm_eps"], 1e-5),
      theta: ropeThetas(cfg),
      window: Math.floor(positiveInt(cfg, ["local_attention"], 128) / 2),
      head: modernBertHead(root, c),
    };
  },
  usesTokenTypeIds: () => false,
  forward(o, w, c) {
    const heads = c.numHeads;
    const headDim = c.hiddenSize / heads;
    let x = o.scope("embeddings", () => o.layerNorm(o.tokenEmbeddings(w.embed), w.embedNorm, w.eps));
    const mask = o.scope("mask", () => o.attentionMask());
    w.layers.forEach((l, i) => {
      const rope = { heads, headDim, theta: w.theta[l.kind] };
      const attention = { heads, headDim, mask, window: l.kind === "sliding_attention" ? w.window : undefined };
      x = o.scope(`layers.${i}`, () => {
        const a = o.scope("attn", () => {
          const [q, k, v] = o.split(o.linear(l.attnNorm ? o.layerNorm(x, l.attnNorm, w.eps) : x, l.wqkv), 3) as [typeof x, typeof x, typeof x];
          return o.linear(o.attention(o.rotary(q, rope), o.rotary(k, rope), v, attention), l.wo);
        });
        const h = o.add(x, a);
        const m = o.scope("mlp", () => {
          const [input, gate] = o.split(o.linear(o.layerNorm(h, l.mlpNorm, w.eps), l.wi), 2) as [typeof x, typeof x];
          return o.linear(o.mul(o.activation(input, w.act), gate), l.mlpWo);
        });
        return o.add(h, m);
      });
    });
    return o.scope("final_norm", () => o.layerNorm(x, w.finalNorm, w.eps));
  },
};
