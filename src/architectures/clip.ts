/**
 * CLIP (Radford et al.), both towers, written once against the op interface: the eager engine
 * (`ClipEncoder`, native inference) and the ONNX graph builder (`onnx/clip-graph.ts`) run these
 * same functions. Ported from transformers `src/transformers/models/clip/modeling_clip.py`
 * (`CLIPTextTransformer`, `CLIPVisionTransformer`, `CLIPEncoderLayer`, `CLIPModel.get_text_features`
 * / `get_image_features`); parameter names are the `CLIPModel` checkpoint's
 * (`text_model.encoder.layers.0.self_attn.q_proj.weight`, `vision_model.pre_layrnorm.weight`, ...).
 */
import type { ClipConfig, ClipTowerConfig } from "./clip-config.js";
import { type EncoderLayerNames, type EncoderLayerParams, encoderLayerParams } from "./encoder-layer.js";
import { linearParams, normParams, param } from "./layers.js";
import type { ArchOps, LinearParams, NormParams, Param } from "./ops.js";
import type { ParamStore } from "./params.js";

/** Layer l of a tower under `prefix` (`text_model` / `vision_model`); attnNorm = layer_norm1, outNorm = layer_norm2 (both applied BEFORE their block). */
function clipLayerNames(prefix: string, l: number): EncoderLayerNames {
  const n = `${prefix}.encoder.layers.${l}`;
  return {
    q: `${n}.self_attn.q_proj`,
    k: `${n}.self_attn.k_proj`,
    v: `${n}.self_attn.v_proj`,
    o: `${n}.self_attn.out_proj`,
    attnNorm: `${n}.layer_norm1`,
    up: `${n}.mlp.fc1`,
    down: `${n}.mlp.fc2`,
    outNorm: `${n}.layer_norm2`,
  };
}

export interface ClipTextWeights {
  token: Param;
  position: Param;
  layers: EncoderLayerParams[];
  finalNorm: NormParams;
  /** (projection_dim, hidden), no bias. */
  projection: LinearParams;
}

export interface ClipVisionWeights {
  /** (hidden, channels, patch, patch): the conv patch embedding, no bias. */
  patch: Param;
  /** (hidden): the class token. */
  classToken: Param;
  /** (patches + 1, hidden). */
  position: Param;
  preNorm: NormParams;
  layers: EncoderLayerParams[];
  postNorm: NormParams;
  projection: LinearParams;
}

export interface ClipWeights {
  text: ClipTextWeights;
  vision: ClipVisionWeights;
}

function layersOf(p: ParamStore, prefix: string, c: ClipTowerConfig): EncoderLayerParams[] {
  return Array.from({ length: c.numLayers }, (_, l) => encoderLayerParams(p, clipLayerNames(prefix, l), c.hiddenSize, c.intermediateSize));
}

/** Which tower: the text model (token ids) or the vision model (pixel values). */
export type ClipTower = "text" | "vision";

/** A tower lowered to another engine's model bytes (the ONNX graph of `onnx/clip-graph.ts`); passed in from a higher layer. */
export type ClipTowerLowering = (config: ClipConfig, weights: ClipWeights, tower: ClipTower) => Promise<Uint8Array>;

/** Number of image tokens: the patches plus the class token. */
export function visionTokens(c: ClipConfig): number {
  return (c.vision.imageSize / c.vision.patchSize) ** 2 + 1;
}

/** Reads and shape-checks every weight both towers use (`logit_scale` is not needed by encode). */
export function loadClipWeights(c: ClipConfig, p: ParamStore): ClipWeights {
  const [t, v] = [c.text, c.vision];
  return {
    text: {
      token: param(p, "text_model.embeddings.token_embedding.weight", [t.vocabSize, t.hiddenSize]),
      position: param(p, "text_model.embeddings.position_embedding.weight", [t.maxPositionEmbeddings, t.hiddenSize]),
      layers: layersOf(p, "text_model", t),
      finalNorm: normParams(p, "text_model.final_layer_norm", t.hiddenSize),
      projection: linearParams(p, "text_projection", c.projectionDim, t.hiddenSize, false),
    },
    vision: {
      patch: param(p, "vision_model.embeddings.patch_embedding.weight", [v.hiddenSize, v.numChannels, v.patchSize, v.patchSize]),
      classToken: param(p, "vision_model.embeddings.class_embedding", [v.hiddenSize]),
      position: param(p, "vision_model.embeddings.position_embedding.weight", [visionTokens(c), v.hiddenSize]),
      preNorm: normParams(p, "vision_model.pre_layrnorm", v.hiddenSize),
      layers: layersOf(p, "vision_model", v),
      postNorm: normParams(p, "vision_model.post_layernorm", v.hiddenSize),
      projection: linearParams(p, "visual_projection", c.projectionDim, v.hiddenSize, false),
    },
  };
}

/**
 * Pre-LayerNorm layers (`CLIPEncoderLayer`), (B, T, H) → (B, T, H), each
 * x = x + O(attention(LN1(x))); x = x + fc2(act(fc1(LN2(x)))).
 */
export function preNormLayers<V, M>(o: ArchOps<V, M>, x: V, layers: readonly EncoderLayerParams[], c: ClipTowerConfig, mask: M, causal: boolean): V {
  const attention = { heads: c.numHeads, headDim: c.hiddenSize / c.numHeads, mask, causal };
  layers.forEach((l, i) => {
    x = o.scope(`encoder.layers.${i}`, () => {
      const a = o.scope("self_attn", () => {
        const h = o.layerNorm(x, l.attnNorm, c.layerNormEps);
        return o.add(x, o.linear(o.attention(o.linear(h, l.q), o.linear(h, l.k), o.linear(h, l.v), attention), l.o));
      });
      return o.scope("mlp", () => o.add(a, o.linear(o.activation(o.linear(o.layerNorm(a, l.outNorm, c.layerNormEps), l.up), c.hiddenAct), l.down)));
    });
  });
  return x;
}

/**
 * `get_text_features`, (B, T) token ids → (B, projection_dim): token + position embeddings,
 * causal pre-norm layers (with the key padding mask), final LayerNorm, the end-of-text token's
 * state, text_projection.
 */
export function clipTextForward<V, M>(o: ArchOps<V, M>, w: ClipTextWeights, c: ClipConfig): V {
  return o.scope("text_model", () => {
    const x = o.scope("embeddings", () => o.add(o.tokenEmbeddings(w.token), o.positionEmbeddings(w.position, { kind: "sequential" })));
    const mask = o.scope("mask", () => o.attentionMask());
    const last = o.layerNorm(preNormLayers(o, x, w.layers, c.text, mask, true), w.finalNorm, c.text.layerNormEps);
    return o.linear(o.eosToken(last, c.text.eosTokenId), w.projection);
  });
}

/**
 * `get_image_features`, (B, C, S, S) pixel values → (B, projection_dim): patch embedding, class
 * token in front, positions, pre_layrnorm, pre-norm layers (no mask), post_layernorm of the class
 * token, visual_projection.
 */
export function clipVisionForward<V, M>(o: ArchOps<V, M>, w: ClipVisionWeights, c: ClipConfig): V {
  return o.scope("vision_model", () => {
    const x = o.scope("embeddings", () => {
      const tokens = o.prependToken(o.patchEmbeddings(w.patch, c.vision.patchSize), w.classToken);
      return o.add(tokens, o.positionEmbeddings(w.position, { kind: "sequential" }));
    });
    const mask = o.scope("mask", () => o.attentionMask());
    const h = preNormLayers(o, o.layerNorm(x, w.preNorm, c.vision.layerNormEps), w.layers, c.vision, mask, false);
    return o.linear(o.layerNorm(o.firstToken(h), w.postNorm, c.vision.layerNormEps), w.projection);
  });
}
