import type { ArchOps, AttentionOptions, DisentangledOptions, LinearParams, NormParams, Param, PositionScheme } from "../architectures/ops.js";
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
    return b.op("Transpose", [b.op("Gather", [offsetTable, this.offsetRows(maxLen)])], { perm: { ints: [2, 0, 1] } }); // (heads, T, T)
  }

  /** (T, T) int64 rows into a table over offsets −(L − 1)..L − 1: row[i, j] = j − i + L − 1, for the batch's own T ≤ L. */
  private offsetRows(maxLen: number): string {
    const b = this.b;
    const t = b.op("Squeeze", [seqLenOf(b, this.inputs.inputIds), b.constI64([0])]);
    const positions = b.op("Range", [b.constI64([0], []), t, b.constI64([1], [])]); // (T)
    const offsets = b.op("Sub", [b.op("Unsqueeze", [positions, b.constI64([0])]), b.op("Unsqueeze", [positions, b.constI64([1])])]); // (T, T): j - i
    return b.op("Add", [offsets, b.constI64([maxLen - 1], [])]);
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

  /** Multi-head attention with plain ONNX ops: softmax(q·kᵀ · scale + bias + mask) · v (scale 1/√d unless given), heads split and joined by Reshape/Transpose. */
  attention(q: string, k: string, v: string, opts: AttentionOptions<string, string>): string {
    const b = this.b;
    const split = b.constI64([0, 0, opts.heads, opts.headDim]);
    const heads = (x: string, perm: number[]): string => b.op("Transpose", [b.op("Reshape", [x, split])], { perm: { ints: perm } });
    const qh = heads(q, [0, 2, 1, 3]); // (B, N, T, d)
    const kh = heads(k, [0, 2, 3, 1]); // (B, N, d, T)
    const vh = heads(v, [0, 2, 1, 3]); // (B, N, T, d)
    const scale = opts.scale ?? 1 / Math.sqrt(opts.headDim);
    let scores = b.op("MatMul", [qh, kh]); // (B, N, T, T)
    if (scale !== 1) scores = b.op("Mul", [scores, b.constF32([scale])]);
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

  // --- t5deb ops ---
  /** Grouped as (…, C / G, G) by Reshape, then x · 1/√(ReduceMean(x²) + eps) · (offset + w), and back to x's shape. */
  rmsNorm(x: string, weight: Param, eps: number, offset: 0 | 1): string {
    const b = this.b;
    const g = weight.tensor.size;
    const shape = b.op("Shape", [x]);
    const groupedShape = b.op("Concat", [b.op("Shape", [x], { end: { i: -1 } }), b.constI64([-1, g])], { axis: { i: 0 } });
    const xg = b.op("Reshape", [x, groupedShape]); // (…, C / G, G)
    const meanSquare = b.op("ReduceMean", [b.op("Mul", [xg, xg])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    const inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [meanSquare, b.constF32([eps])])])]);
    const w = b.param(weight.key, weight.tensor);
    const gamma = offset === 1 ? b.op("Add", [w, b.constF32([1])]) : w;
    return b.op("Reshape", [b.op("Mul", [b.op("Mul", [xg, inv]), gamma]), shape]);
  }

  mul(x: string, y: string): string {
    return this.b.op("Mul", [x, y]);
  }

  /**
   * c2p = GatherElements(q·posKᵀ (B, N, T, rows), row[i, j]) and p2c = GatherElements(k·posQᵀ,
   * row[j, i])ᵀ over the last axis, as transformers' `disentangled_attention_bias`; the (T, T) row
   * matrix comes from a constant table over relative positions −(L − 1)..L − 1.
   */
  disentangledScores(q: string, k: string, posQ: string | undefined, posK: string | undefined, opts: DisentangledOptions): string {
    const b = this.b;
    const { heads, headDim, maxLen } = opts;
    // offsetRows gives j − i + L − 1; the row is for i − j (one shared constant for every layer)
    const table = b.constI64(Array.from({ length: 2 * maxLen - 1 }, (_, r) => opts.row(maxLen - 1 - r)));
    const rows = b.op("Gather", [table, this.offsetRows(maxLen)]); // (T, T): row of (i, j)
    const split = b.constI64([0, 0, heads, headDim]);
    const byHead = (x: string): string => b.op("Transpose", [b.op("Reshape", [x, split])], { perm: { ints: [0, 2, 1, 3] } }); // (B, N, T, d)
    const posT = (p: string): string => b.op("Transpose", [b.op("Reshape", [p, b.constI64([0, heads, headDim])])], { perm: { ints: [1, 2, 0] } }); // (N, d, rows)
    const gathered = (x: string, p: string, index: string): string => {
      const scores = b.op("MatMul", [byHead(x), posT(p)]); // (B, N, T, rows)
      const full = b.op("Concat", [b.op("Shape", [scores], { end: { i: 3 } }), seqLenOf(b, this.inputs.inputIds)], { axis: { i: 0 } });
      const picked = b.op("GatherElements", [scores, b.op("Expand", [index, full])], { axis: { i: -1 } }); // (B, N, T, T)
      return b.op("Mul", [picked, b.constF32([opts.scale])]);
    };
    const terms: string[] = [];
    if (posK) terms.push(gathered(q, posK, rows)); // [i, j] = q_i · posK[row(i, j)]
    if (posQ) {
      const transposed = b.op("Transpose", [rows], { perm: { ints: [1, 0] } });
      terms.push(b.op("Transpose", [gathered(k, posQ, transposed)], { perm: { ints: [0, 1, 3, 2] } })); // [i, j] = k_j · posQ[row(i, j)]
    }
    const [first, second] = terms;
    if (first === undefined) throw new SbertError("INVALID_OPERATION", "disentangledScores needs posQ or posK");
    return second === undefined ? first : b.op("Add", [first, second]);
  }

  table(p: Param): string {
    return this.b.param(p.key, p.tensor);
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
