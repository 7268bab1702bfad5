import type { EncoderConfig } from "../architectures/config.js";
import { type EncoderLayerNames, encoderLayersParams } from "../architectures/encoder-layer.js";
import type { ParamStore } from "../architectures/params.js";
import type { Tensor } from "../tensor/tensor.js";
import { DataType } from "./graph.js";
import { type GraphBuilder, activation, layerNorm, linear } from "./graph-builder.js";

/** float32's most negative value (`torch.finfo(torch.float32).min`), what HF adds at padded keys. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** A linear layer's weights and the safetensors key they came from (initializer names). */
export interface LinearRef {
  key: string;
  weight: Tensor;
  bias: Tensor | undefined;
}

export interface NormRef {
  key: string;
  weight: Tensor;
  bias: Tensor;
}

export function linearRef(p: ParamStore, name: string, outF: number, inF: number): LinearRef {
  return { key: p.prefix + name, weight: p.get(`${name}.weight`, [outF, inF]), bias: p.get(`${name}.bias`, [outF]) };
}

export function normRef(p: ParamStore, name: string, width: number): NormRef {
  return { key: p.prefix + name, weight: p.get(`${name}.weight`, [width]), bias: p.get(`${name}.bias`, [width]) };
}

export function applyLinear(b: GraphBuilder, x: string, l: LinearRef): string {
  return linear(b, x, l.key, l.weight, l.bias);
}

export function applyNorm(b: GraphBuilder, x: string, n: NormRef, eps: number): string {
  return layerNorm(b, x, n.key, n.weight, n.bias, eps);
}

/** The weights of one post-LayerNorm encoder layer, each with its safetensors key. */
export interface EncoderLayerRefs {
  q: LinearRef;
  k: LinearRef;
  v: LinearRef;
  o: LinearRef;
  attnNorm: NormRef;
  up: LinearRef;
  down: LinearRef;
  outNorm: NormRef;
}

/** Every layer's weights as the native encoder reads them (same names, same shape checks), keyed for the graph. */
export function encoderLayerRefs(p: ParamStore, c: EncoderConfig, names: (layer: number) => EncoderLayerNames): EncoderLayerRefs[] {
  return encoderLayersParams(p, c, names).map((l, i) => {
    const n = names(i);
    const key = (name: string): string => p.prefix + name;
    return {
      q: { key: key(n.q), ...l.q },
      k: { key: key(n.k), ...l.k },
      v: { key: key(n.v), ...l.v },
      o: { key: key(n.o), ...l.o },
      attnNorm: { key: key(n.attnNorm), ...l.attnNorm },
      up: { key: key(n.up), ...l.up },
      down: { key: key(n.down), ...l.down },
      outNorm: { key: key(n.outNorm), ...l.outNorm },
    };
  });
}

/** Graph inputs as value names; `tokenTypeIds` only where the architecture reads token types. */
export interface EncoderInputs {
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string | undefined;
}

/**
 * What each architecture file provides: its embeddings, its layers, optionally an attention bias
 * (MPNet) and a classification head. The shared code below turns that into the graph.
 */
export interface ArchitectureGraph {
  config: EncoderConfig;
  /** Whether the graph takes `token_type_ids` (BERT); Optimum leaves it out for the others. */
  usesTokenTypeIds: boolean;
  /** Embedding output after its LayerNorm, (B, T, H). */
  embeddings(b: GraphBuilder, inputs: EncoderInputs): string;
  layers: EncoderLayerRefs[];
  /** Added to every layer's scaled scores, (1, heads, T, T). */
  attentionBias?(b: GraphBuilder, inputs: EncoderInputs): string;
  /** Sequence-classification logits (B, numLabels) from the last hidden state, when the checkpoint has a head. */
  head: ((b: GraphBuilder, hidden: string) => string) | undefined;
}

/** Sequence length T of a (B, T) input as a 1-element int64 tensor. */
export function seqLenOf(b: GraphBuilder, ids: string): string {
  return b.op("Shape", [ids], { start: { i: 1 }, end: { i: 2 } });
}

/** Rows 0..T-1 of a position table: (T, H), broadcast over the batch (BERT, DistilBERT). */
export function sequentialPositionEmbeddings(b: GraphBuilder, ids: string, table: string): string {
  return b.op("Slice", [table, b.constI64([0]), seqLenOf(b, ids), b.constI64([0])]);
}

/**
 * RoBERTa / XLM-R / MPNet position ids, `create_position_ids_from_input_ids`:
 * cumsum(ids != pad) · (ids != pad) + pad, (B, T) int64.
 */
export function paddedPositionIds(b: GraphBuilder, ids: string, paddingIdx: number): string {
  const pad = b.constI64([paddingIdx], []);
  const notPad = b.op("Cast", [b.op("Not", [b.op("Equal", [ids, pad])])], { to: { i: DataType.INT64 } });
  const count = b.op("CumSum", [notPad, b.constI64([1], [])]);
  return b.op("Add", [b.op("Mul", [count, notPad]), pad]);
}

/** Attention mask (B, T) int64 → additive mask (B, 1, 1, T): 0 where attended, float32 min where padded. */
export function additiveMask(b: GraphBuilder, mask: string): string {
  const m = b.op("Cast", [mask], { to: { i: DataType.FLOAT } });
  const blocked = b.op("Mul", [b.op("Sub", [b.constF32([1]), m]), b.constF32([FLOAT32_MIN])]);
  return b.op("Unsqueeze", [blocked, b.constI64([1, 2])]);
}

/** The first token's hidden state, (B, T, H) → (B, H). */
export function firstToken(b: GraphBuilder, x: string): string {
  return b.op("Gather", [x, b.constI64([0], [])], { axis: { i: 1 } });
}

/**
 * RoBERTa's `RobertaClassificationHead` (MPNet has the same): `classifier.dense → tanh →
 * classifier.out_proj` on the first token; undefined when the checkpoint has none.
 */
export function robertaStyleHeadGraph(root: ParamStore, hidden: number, numLabels: number): ArchitectureGraph["head"] {
  if (!root.has("classifier.out_proj.weight")) return undefined;
  const dense = linearRef(root, "classifier.dense", hidden, hidden);
  const out = linearRef(root, "classifier.out_proj", numLabels, hidden);
  return (b, x) => firstTokenHead(b, x, dense, "tanh", out);
}

/** A classification head `dense → act → out` on the first token (RoBERTa: tanh, DistilBERT: relu, BERT: the pooler). */
export function firstTokenHead(b: GraphBuilder, hidden: string, dense: LinearRef, act: "tanh" | "relu", out: LinearRef): string {
  return b.inScope("classifier", () => applyLinear(b, activation(b, applyLinear(b, firstToken(b, hidden), dense), act), out));
}

interface AttentionContext {
  heads: number;
  hidden: number;
  /** (B, 1, 1, T) additive. */
  mask: string;
  /** (1, heads, T, T), MPNet only. */
  bias: string | undefined;
}

/** Multi-head self-attention with plain ONNX ops: (B, T, H) → (B, T, H) before the output projection. */
function selfAttention(b: GraphBuilder, x: string, l: EncoderLayerRefs, ctx: AttentionContext): string {
  const d = ctx.hidden / ctx.heads;
  const split = b.constI64([0, 0, ctx.heads, d]);
  const heads = (ref: LinearRef, perm: number[]): string => b.op("Transpose", [b.op("Reshape", [applyLinear(b, x, ref), split])], { perm: { ints: perm } });
  const q = heads(l.q, [0, 2, 1, 3]); // (B, N, T, d)
  const k = heads(l.k, [0, 2, 3, 1]); // (B, N, d, T)
  const v = heads(l.v, [0, 2, 1, 3]); // (B, N, T, d)
  let scores = b.op("Mul", [b.op("MatMul", [q, k]), b.constF32([1 / Math.sqrt(d)])]); // (B, N, T, T)
  if (ctx.bias) scores = b.op("Add", [scores, ctx.bias]);
  const probs = b.op("Softmax", [b.op("Add", [scores, ctx.mask])], { axis: { i: -1 } });
  const context = b.op("Transpose", [b.op("MatMul", [probs, v])], { perm: { ints: [0, 2, 1, 3] } }); // (B, T, N, d)
  return b.op("Reshape", [context, b.constI64([0, 0, ctx.hidden])]);
}

/** One post-LN layer: x = LN(x + O(attn(x))); x = LN(x + down(act(up(x)))). */
function encoderLayer(b: GraphBuilder, x: string, l: EncoderLayerRefs, c: EncoderConfig, ctx: AttentionContext): string {
  const attn = b.inScope("attention", () => applyNorm(b, b.op("Add", [applyLinear(b, selfAttention(b, x, l, ctx), l.o), x]), l.attnNorm, c.layerNormEps));
  return b.inScope("ffn", () => {
    const inner = activation(b, applyLinear(b, attn, l.up), c.hiddenAct);
    return applyNorm(b, b.op("Add", [applyLinear(b, inner, l.down), attn]), l.outNorm, c.layerNormEps);
  });
}

/** Embeddings and every layer: the last hidden state (B, T, H). */
export function encoderGraph(b: GraphBuilder, arch: ArchitectureGraph, inputs: EncoderInputs): string {
  const c = arch.config;
  let x = b.inScope("embeddings", () => arch.embeddings(b, inputs));
  const ctx: AttentionContext = {
    heads: c.numHeads,
    hidden: c.hiddenSize,
    mask: b.inScope("mask", () => additiveMask(b, inputs.attentionMask)),
    bias: arch.attentionBias ? b.inScope("position_bias", () => arch.attentionBias?.(b, inputs) as string) : undefined,
  };
  arch.layers.forEach((l, i) => {
    x = b.inScope(`encoder.layer.${i}`, () => encoderLayer(b, x, l, c, ctx));
  });
  return x;
}
