import { SbertError } from "../errors.js";
import { type ActivationName, parseActivationName } from "../tensor/ops/elementwise.js";
import { bertLayerNames } from "./bert.js";
import { type EncoderConfig, configNumber, configString } from "./config.js";
import type { Architecture, ArchitectureWeights } from "./definition.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayersParams } from "./encoder-layer.js";
import { linearParams, normParams, param } from "./layers.js";
import type { ArchOps, LinearParams, NormParams, Param } from "./ops.js";
import type { ParamStore } from "./params.js";

/**
 * DeBERTa-v2 / v3 (He et al.), ported from transformers' src/transformers/models/deberta_v2/modeling_deberta_v2.py
 * (huggingface/transformers): BERT's post-LayerNorm layers with disentangled self-attention —
 * content-to-content scores plus content-to-position ("c2p") and position-to-content ("p2c") terms
 * over log-bucketed relative positions, all divided by sqrt(headDim · (1 + number of terms)).
 * DeBERTa-v3 checkpoints have no absolute positions (`position_biased_input: false`) and share the
 * query/key projections with the position terms (`share_att_key`). Sequence classification:
 * ContextPooler (dense + `pooler_hidden_act` on token 0) and a linear classifier.
 */

/** DeBERTa's names for layer l's modules (BERT's, with `*_proj` attention projections). */
function debertaLayerNames(l: number): EncoderLayerNames {
  const n = `encoder.layer.${l}.attention.self`;
  return { ...bertLayerNames(l), q: `${n}.query_proj`, k: `${n}.key_proj`, v: `${n}.value_proj` };
}

/** The relative-attention settings of `DebertaV2Config` (`relative_attention`, `pos_att_type`, ...). */
interface RelativeSettings {
  c2p: boolean;
  p2c: boolean;
  /** `position_buckets` (≤ 0: none). */
  buckets: number;
  /** `max_relative_positions` (< 1 means max_position_embeddings). */
  maxRelative: number;
  /** Rows of the relative table on each side: position_buckets, else max_relative_positions. */
  span: number;
}

interface DebertaLayer extends EncoderLayerParams {
  /** Separate position projections when `share_att_key` is false. */
  posK: LinearParams | undefined;
  posQ: LinearParams | undefined;
}

interface DebertaWeights extends ArchitectureWeights {
  word: Param;
  position: Param | undefined;
  tokenType: Param | undefined;
  /** `embed_proj` when `embedding_size` differs from hidden_size. */
  embedProj: LinearParams | undefined;
  norm: NormParams;
  /** `encoder.rel_embeddings` (2 · span, H) when `relative_attention`. */
  relative: Param | undefined;
  /** `encoder.LayerNorm` on the relative table when `norm_rel_ebd` has `layer_norm`. */
  relativeNorm: NormParams | undefined;
  layers: DebertaLayer[];
  settings: RelativeSettings;
  /** 1 / sqrt(headDim · scale_factor). */
  scale: number;
}

function readSettings(c: EncoderConfig): RelativeSettings {
  const raw = c.raw["pos_att_type"];
  const types = typeof raw === "string" ? raw.toLowerCase().split("|").map((t) => t.trim()) : Array.isArray(raw) ? raw.map((t) => String(t).toLowerCase()) : [];
  const buckets = configNumber(c.raw, "position_buckets", -1);
  let maxRelative = configNumber(c.raw, "max_relative_positions", -1);
  if (maxRelative < 1) maxRelative = c.maxPositionEmbeddings;
  return { c2p: types.includes("c2p"), p2c: types.includes("p2c"), buckets, maxRelative, span: buckets > 0 ? buckets : maxRelative };
}

/**
 * `make_log_bucket_position` + `build_relative_position`: the relative position i − j of query i
 * and key j, exact within ±bucketSize/2 and log-bucketed beyond, with torch's float32 arithmetic.
 */
export function debertaRelativePosition(relative: number, bucketSize: number, maxPosition: number): number {
  if (!(bucketSize > 0 && maxPosition > 0)) return relative;
  const f = Math.fround;
  const mid = Math.floor(bucketSize / 2);
  const abs = relative < mid && relative > -mid ? mid - 1 : Math.abs(relative);
  if (abs <= mid) return relative;
  const ratio = f(f(Math.log(f(abs / mid))) / f(Math.log(f((maxPosition - 1) / mid))));
  return Math.sign(relative) * (Math.ceil(f(ratio * (mid - 1))) + mid);
}

export const debertaV2: Architecture<DebertaWeights> = {
  positionOffset: () => 0,
  load(c, base, root) {
    const h = c.hiddenSize;
    if (configNumber(c.raw, "conv_kernel_size", 0) > 0) {
      throw new SbertError("UNSUPPORTED_FORMAT", "this deberta-v2 checkpoint has a convolution layer (conv_kernel_size); only DeBERTa-v2/v3 models without it are supported");
    }
    if (h % c.numHeads !== 0 || configNumber(c.raw, "attention_head_size", h / c.numHeads) !== h / c.numHeads) {
      throw new SbertError("UNSUPPORTED_FORMAT", "deberta-v2: attention_head_size must be hidden_size / num_attention_heads");
    }
    const settings = readSettings(c);
    const relativeOn = c.raw["relative_attention"] === true;
    const shareKey = c.raw["share_att_key"] === true;
    const embeddingSize = configNumber(c.raw, "embedding_size", h);
    const positionBiased = c.raw["position_biased_input"] !== false;
    const norms = configString(c.raw, "norm_rel_ebd", "none").toLowerCase().split("|").map((s) => s.trim());
    const layers = encoderLayersParams(base, c, debertaLayerNames).map((l, i): DebertaLayer => {
      const n = `encoder.layer.${i}.attention.self`;
      const separate = relativeOn && !shareKey;
      return {
        ...l,
        posK: separate && settings.c2p ? linearParams(base, `${n}.pos_key_proj`, h, h) : undefined,
        posQ: separate && settings.p2c ? linearParams(base, `${n}.pos_query_proj`, h, h) : undefined,
      };
    });
    const scaleFactor = 1 + (settings.c2p ? 1 : 0) + (settings.p2c ? 1 : 0);
    return {
      word: param(base, "embeddings.word_embeddings.weight", [c.vocabSize, embeddingSize]),
      position: positionBiased ? param(base, "embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, embeddingSize]) : undefined,
      tokenType: c.typeVocabSize > 0 ? param(base, "embeddings.token_type_embeddings.weight", [c.typeVocabSize, embeddingSize]) : undefined,
      embedProj: embeddingSize !== h ? linearParams(base, "embeddings.embed_proj", h, embeddingSize, false) : undefined,
      norm: normParams(base, "embeddings.LayerNorm", h),
      relative: relativeOn ? param(base, "encoder.rel_embeddings.weight", [2 * settings.span, h]) : undefined,
      relativeNorm: relativeOn && norms.includes("layer_norm") ? normParams(base, "encoder.LayerNorm", h) : undefined,
      layers,
      settings,
      scale: 1 / Math.sqrt((h / c.numHeads) * scaleFactor),
      head: root.has("classifier.weight") ? contextPoolerHead(c, base, root) : undefined,
    };
  },
  usesTokenTypeIds: (w) => w.tokenType !== undefined,
  forward(o, w, c) {
    const x = o.scope("embeddings", () => {
      let e = o.tokenEmbeddings(w.word);
      if (w.position) e = o.add(e, o.positionEmbeddings(w.position, { kind: "sequential" }));
      if (w.tokenType) e = o.add(e, o.tokenTypeEmbeddings(w.tokenType, true));
      if (w.embedProj) e = o.linear(e, w.embedProj);
      return o.layerNorm(e, w.norm, c.layerNormEps);
    });
    const mask = o.scope("mask", () => o.attentionMask());
    const relative = w.relative && o.scope("rel_embeddings", () => {
      const table = o.table(w.relative as Param);
      return w.relativeNorm ? o.layerNorm(table, w.relativeNorm, c.layerNormEps) : table;
    });
    let h = o.dropout(x);
    w.layers.forEach((l, i) => {
      h = o.scope(`encoder.layer.${i}`, () => debertaLayer(o, h, l, w, c, mask, relative));
    });
    return h;
  },
};

/** One layer: disentangled self-attention, then BERT's output and feed-forward blocks (post-LayerNorm). */
function debertaLayer<V, M>(o: ArchOps<V, M>, x: V, l: DebertaLayer, w: DebertaWeights, c: EncoderConfig, mask: M, relative: V | undefined): V {
  const heads = c.numHeads;
  const headDim = c.hiddenSize / heads;
  const s = w.settings;
  const h = o.scope("attention", () => {
    const q = o.linear(x, l.q);
    const k = o.linear(x, l.k);
    let bias: V | undefined;
    if (relative && (s.c2p || s.p2c)) {
      const rel = o.dropout(relative);
      const posK = s.c2p ? o.linear(rel, l.posK ?? l.k) : undefined;
      const posQ = s.p2c ? o.linear(rel, l.posQ ?? l.q) : undefined;
      const row = (r: number): number => Math.min(Math.max(debertaRelativePosition(r, s.buckets, s.maxRelative) + s.span, 0), 2 * s.span - 1);
      bias = o.disentangledScores(q, k, posQ, posK, { heads, headDim, row, maxLen: c.maxPositionEmbeddings, scale: w.scale });
    }
    const context = o.attention(q, k, o.linear(x, l.v), { heads, headDim, mask, bias, scale: w.scale });
    return o.layerNorm(o.add(o.dropout(o.linear(context, l.o)), x), l.attnNorm, c.layerNormEps);
  });
  return o.scope("ffn", () => {
    const inner = o.activation(o.linear(h, l.up), c.hiddenAct);
    return o.layerNorm(o.add(o.dropout(o.linear(inner, l.down)), h), l.outNorm, c.layerNormEps);
  });
}

/** `DebertaV2ForSequenceClassification`'s head: ContextPooler (`pooler.dense` + `pooler_hidden_act` on token 0), then `classifier`. */
function contextPoolerHead(c: EncoderConfig, base: ParamStore, root: ParamStore): { dense: LinearParams; act: ActivationName; out: LinearParams } {
  const h = c.hiddenSize;
  const pooled = configNumber(c.raw, "pooler_hidden_size", h);
  if (pooled !== h) throw new SbertError("UNSUPPORTED_FORMAT", `deberta-v2: pooler_hidden_size ${pooled} differs from hidden_size ${h}`);
  const dense = base.has("pooler.dense.weight") ? linearParams(base, "pooler.dense", h, h) : linearParams(root, "pooler.dense", h, h);
  return { dense, act: parseActivationName(configString(c.raw, "pooler_hidden_act", "gelu")), out: linearParams(root, "classifier", c.numLabels, h) };
}
