import type { ArchOps, AttentionOptions, LinearParams, NormParams, Param, PositionScheme } from "../architectures/ops.js";
import type { ActivationName } from "../tensor/ops/elementwise.js";
import { SbertError } from "../errors.js";
import { DataType } from "./graph.js";
import { type GraphBuilder, activation, layerNorm, linear } from "./graph-builder.js";

/** float32's most negative value (`torch.finfo(torch.float32).min`), what HF adds at padded keys. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** Graph inputs as value names; `tokenTypeIds` only where the architecture reads token types. */
export interface EncoderInputs {
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string | undefined;
  // --- clipmodel ---
  /** (B, C, S, S) float32 images, for a vision tower (whose inputIds / attentionMask are then (B, tokens) ones). */
  pixelValues?: string;
}

/** Sequence length T of a (B, T) input as a 1-element int64 tensor. */
export function seqLenOf(b: GraphBuilder, ids: string): string {
  return b.op("Shape", [ids], { start: { i: 1 }, end: { i: 2 } });
}

/**
 * The graph engine: each op of an architecture's definition becomes ONNX nodes (opset 17) over
 * symbolic batch and sequence dimensions; weights become initializers named by their safetensors
 * keys. Values are value names; the mask is the additive (B, 1, 1, T) mask HF uses.
 */
export class GraphOps implements ArchOps<string, string> {
  private readonly b: GraphBuilder;
  private readonly inputs: EncoderInputs;

  constructor(b: GraphBuilder, inputs: EncoderInputs) {
    this.b = b;
    this.inputs = inputs;
  }

  tokenEmbeddings(table: Param): string {
    return this.b.op("Gather", [this.b.param(table.key, table.tensor), this.inputs.inputIds]); // (B, T, H)
  }

  tokenTypeEmbeddings(table: Param, fromInput: boolean): string {
    const b = this.b;
    if (fromInput && this.inputs.tokenTypeIds) return b.op("Gather", [b.param(table.key, table.tensor), this.inputs.tokenTypeIds]);
    const h = table.tensor.dim(1);
    return b.tensor(`${table.key}[0]`, DataType.FLOAT, [h], table.tensor.data.slice(0, h)); // (H), broadcast over (B, T)
  }

  positionEmbeddings(table: Param, scheme: PositionScheme): string {
    const b = this.b;
    const t = b.param(table.key, table.tensor);
    // rows 0..T-1, (T, H), broadcast over the batch
    if (scheme.kind === "sequential") return b.op("Slice", [t, b.constI64([0]), seqLenOf(b, this.inputs.inputIds), b.constI64([0])]);
    // create_position_ids_from_input_ids: cumsum(ids != pad) · (ids != pad) + pad, (B, T) int64
    const pad = b.constI64([scheme.paddingIdx], []);
    const notPad = b.op("Cast", [b.op("Not", [b.op("Equal", [this.inputs.inputIds, pad])])], { to: { i: DataType.INT64 } });
    const count = b.op("CumSum", [notPad, b.constI64([1], [])]);
    return b.op("Gather", [t, b.op("Add", [b.op("Mul", [count, notPad]), pad])]);
  }

  /**
   * Looked up in a constant table over offsets — row r holds, for offset j − i = r − (L − 1), every
   * head's bias, (2L − 1, heads) — with an offset matrix for the batch's own T:
   * bias[h, i, j] = table[j − i + L − 1, h], so any T up to the position table's size works.
   */
  relativePositionBias(table: Param, bucket: (offset: number) => number, maxLen: number): string {
    const b = this.b;
    const heads = table.tensor.dim(1);
    const byOffset = new Float32Array((2 * maxLen - 1) * heads);
    for (let r = 0; r < 2 * maxLen - 1; r++) {
      const k = bucket(r - (maxLen - 1));
      byOffset.set(table.tensor.data.subarray(k * heads, (k + 1) * heads), r * heads);
    }
    const offsetTable = b.tensor(`${table.key}.by_offset`, DataType.FLOAT, [2 * maxLen - 1, heads], byOffset);
    const t = b.op("Squeeze", [seqLenOf(b, this.inputs.inputIds), b.constI64([0])]);
    const positions = b.op("Range", [b.constI64([0], []), t, b.constI64([1], [])]); // (T)
    const offsets = b.op("Sub", [b.op("Unsqueeze", [positions, b.constI64([0])]), b.op("Unsqueeze", [positions, b.constI64([1])])]); // (T, T): j - i
    const rows = b.op("Add", [offsets, b.constI64([maxLen - 1], [])]);
    return b.op("Transpose", [b.op("Gather", [offsetTable, rows])], { perm: { ints: [2, 0, 1] } }); // (heads, T, T)
  }

  /** Attention mask (B, T) int64 → additive mask (B, 1, 1, T): 0 where attended, float32 min where padded. */
  attentionMask(): string {
    const b = this.b;
    const m = b.op("Cast", [this.inputs.attentionMask], { to: { i: DataType.FLOAT } });
    const blocked = b.op("Mul", [b.op("Sub", [b.constF32([1]), m]), b.constF32([FLOAT32_MIN])]);
    return b.op("Unsqueeze", [blocked, b.constI64([1, 2])]);
  }

  add(x: string, y: string): string {
    return this.b.op("Add", [x, y]);
  }

  linear(x: string, l: LinearParams): string {
    return linear(this.b, x, l.key, l.weight, l.bias);
  }

  layerNorm(x: string, n: NormParams, eps: number): string {
    return layerNorm(this.b, x, n.key, n.weight, n.bias, eps);
  }

  activation(x: string, name: ActivationName): string {
    return activation(this.b, x, name);
  }

  /** Multi-head attention with plain ONNX ops: softmax(q·kᵀ / √d + bias + mask) · v, heads split and joined by Reshape/Transpose. */
  attention(q: string, k: string, v: string, opts: AttentionOptions<string, string>): string {
    const b = this.b;
    const split = b.constI64([0, 0, opts.heads, opts.headDim]);
    const heads = (x: string, perm: number[]): string => b.op("Transpose", [b.op("Reshape", [x, split])], { perm: { ints: perm } });
    const qh = heads(q, [0, 2, 1, 3]); // (B, N, T, d)
    const kh = heads(k, [0, 2, 3, 1]); // (B, N, d, T)
    const vh = heads(v, [0, 2, 1, 3]); // (B, N, T, d)
    let scores = b.op("Mul", [b.op("MatMul", [qh, kh]), b.constF32([1 / Math.sqrt(opts.headDim)])]); // (B, N, T, T)
    if (opts.bias) scores = b.op("Add", [scores, opts.bias]);
    // causal: min of the padding mask and the (T, T) future-key mask, so a key blocked twice stays float32 min
    const mask = opts.causal ? b.op("Min", [opts.mask, this.causalMask()]) : opts.mask;
    const probs = b.op("Softmax", [b.op("Add", [scores, mask])], { axis: { i: -1 } });
    const context = b.op("Transpose", [b.op("MatMul", [probs, vh])], { perm: { ints: [0, 2, 1, 3] } }); // (B, T, N, d)
    return b.op("Reshape", [context, b.constI64([0, 0, opts.heads * opts.headDim])]);
  }

  dropout(x: string): string {
    return x;
  }

  firstToken(x: string): string {
    return this.b.op("Gather", [x, this.b.constI64([0], [])], { axis: { i: 1 } });
  }

  scope<T>(name: string, fn: () => T): T {
    return this.b.inScope(name, fn);
  }

  // --- clipmodel ops ---
  private causal: string | undefined;

  /** (T, T): 0 where key j ≤ query i, float32 min after; built once per graph. */
  private causalMask(): string {
    if (this.causal) return this.causal;
    const b = this.b;
    const t = b.op("Squeeze", [seqLenOf(b, this.inputs.inputIds), b.constI64([0])]);
    const positions = b.op("Range", [b.constI64([0], []), t, b.constI64([1], [])]); // (T)
    const future = b.op("Greater", [b.op("Unsqueeze", [positions, b.constI64([0])]), b.op("Unsqueeze", [positions, b.constI64([1])])]); // (T, T): j > i
    this.causal = b.op("Where", [future, b.constF32([FLOAT32_MIN]), b.constF32([0])]);
    return this.causal;
  }

  /** `Conv` with kernel = stride = patch, no bias: (B, H, S/p, S/p) → (B, P, H). */
  patchEmbeddings(weight: Param, patch: number): string {
    const b = this.b;
    const pixels = this.inputs.pixelValues;
    if (!pixels) throw new SbertError("INVALID_OPERATION", "ONNX export: a vision tower needs the pixel_values input");
    const conv = b.op("Conv", [pixels, b.param(weight.key, weight.tensor)], { kernel_shape: { ints: [patch, patch] }, strides: { ints: [patch, patch] } });
    const flat = b.op("Reshape", [conv, b.constI64([0, weight.tensor.dim(0), -1])]); // (B, H, P)
    return b.op("Transpose", [flat], { perm: { ints: [0, 2, 1] } });
  }

  /** Concat of the token expanded to (B, 1, H) and x along the sequence axis. */
  prependToken(x: string, token: Param): string {
    const b = this.b;
    const h = token.tensor.dim(0);
    const row = b.op("Reshape", [b.param(token.key, token.tensor), b.constI64([1, 1, h])]);
    const shape = b.op("Concat", [b.op("Shape", [x], { start: { i: 0 }, end: { i: 1 } }), b.constI64([1, h])], { axis: { i: 0 } });
    return b.op("Concat", [b.op("Expand", [row, shape]), x], { axis: { i: 1 } });
  }

  /** ArgMax over the ids (or over ids == eos), as float32 (exact below 2^24), then GatherND per row. */
  eosToken(x: string, eosTokenId: number | undefined): string {
    const b = this.b;
    const ids = this.inputs.inputIds;
    const keyed = eosTokenId === undefined ? ids : b.op("Equal", [ids, b.constI64([eosTokenId], [])]);
    const pos = b.op("ArgMax", [b.op("Cast", [keyed], { to: { i: DataType.FLOAT } })], { axis: { i: 1 }, keepdims: { i: 1 } }); // (B, 1), the first maximum
    return b.op("GatherND", [x, pos], { batch_dims: { i: 1 } }); // (B, H)
  }
}
