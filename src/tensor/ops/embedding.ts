import { SbertError } from "../../errors.js";
import { gradBuffer, needsGrad, record } from "../autograd.js";
import { opKernels } from "../op-kernels.js";
import { Tensor, checkShape } from "../tensor.js";
import { scratch32 } from "../arena.js";

/** What a lookup's ids index, for the message when one is out of range. */
export interface LookupKind {
  /** e.g. `token id`, `position id`. */
  what: string;
  /** The likely cause and what to do, e.g. `the tokenizer does not match the model`. */
  hint: string;
}

/** Word-piece ids into a word-embedding table (the default kind). */
export const TOKEN_IDS: LookupKind = { what: "token id", hint: "the tokenizer does not match the model (its vocabulary is larger than the model's)" };

/**
 * Row lookup, as `torch.nn.Embedding`: table (V, C), ids (N) → (N, C).
 * An id outside [0, V) is an INVALID_INPUT error naming `kind` (a token id by default), never a
 * silent read (negative ids are refused too, where ONNX Runtime would count from the end).
 * Backward: every output row's gradient is added into its table row (a dense (V, C) gradient, as
 * PyTorch's default `sparse=False`; rows never looked up get 0).
 */
export function embedding(table: Tensor, ids: ArrayLike<number>, kind: LookupKind = TOKEN_IDS): Tensor {
  checkShape(table.shape.length === 2, "embedding", `table must be 2-D, got [${table.shape.join(", ")}]`);
  const [v, c] = [table.dim(0), table.dim(1)];
  const out = scratch32(ids.length * c);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!(id >= 0 && id < v)) {
      throw new SbertError("INVALID_INPUT", `${kind.what} ${id} is outside the embedding table (size ${v}); ${kind.hint}`);
    }
    out.set(table.data.subarray(id * c, (id + 1) * c), i * c);
  }
  const y = new Tensor(out, [ids.length, c]);
  if (!needsGrad(table)) return y;
  const idList = Int32Array.from(ids);
  return record(y, [table], (g) => {
    // scattered straight into table.grad: a (V, C) temporary per call was most of a step's allocation
    const dt = gradBuffer(table);
    if (dt) opKernels().embeddingScatterAdd(dt, g, idList, c);
  });
}

/**
 * Mean of looked-up rows per bag, as `torch.nn.EmbeddingBag(mode="mean")` (sentence-transformers'
 * StaticEmbedding): table (V, C), ids and mask (B·T, row-major; mask 0 = not in the bag) → (B, C),
 * y[b] = (1/n_b) Σ_{t: mask[b,t]≠0} table[ids[b,t]] with n_b the bag's size; an empty bag gives
 * zeros, as torch does. Float64 accumulation, float32 result. Ids outside [0, V) in a bag are
 * INVALID_INPUT (`kind` names them); ids under mask 0 (padding) are never read.
 * Backward: ∂y[b]/∂table[i] = (count of i in bag b) / n_b, so each table row of the bag gets
 * g[b] / n_b per occurrence (a dense (V, C) gradient; rows in no bag get 0).
 *
 * @example
 * embeddingBagMean(table, Int32Array.of(4, 7, 0, 9), Int32Array.of(1, 1, 1, 0), 2, 2); // [(t4+t7)/2, t0]
 */
export function embeddingBagMean(table: Tensor, ids: ArrayLike<number>, mask: ArrayLike<number>, batch: number, seqLen: number, kind: LookupKind = TOKEN_IDS): Tensor {
  checkShape(table.shape.length === 2, "embeddingBagMean", `table must be 2-D, got [${table.shape.join(", ")}]`);
  checkShape(ids.length === batch * seqLen && mask.length === batch * seqLen, "embeddingBagMean", `ids ${ids.length} and mask ${mask.length} for ${batch} × ${seqLen}`);
  const [v, c] = [table.dim(0), table.dim(1)];
  const out = new Float32Array(batch * c);
  const acc = new Float64Array(c);
  const counts = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    acc.fill(0);
    let n = 0;
    for (let t = b * seqLen; t < (b + 1) * seqLen; t++) {
      if (!mask[t]) continue;
      const id = ids[t] as number;
      if (!(id >= 0 && id < v)) {
        throw new SbertError("INVALID_INPUT", `${kind.what} ${id} is outside the embedding table (size ${v}); ${kind.hint}`);
      }
      const row = table.data.subarray(id * c, (id + 1) * c);
      for (let j = 0; j < c; j++) acc[j] = (acc[j] as number) + (row[j] as number);
      n++;
    }
    counts[b] = n;
    if (n > 0) for (let j = 0; j < c; j++) out[b * c + j] = (acc[j] as number) / n;
  }
  const y = new Tensor(out, [batch, c]);
  if (!needsGrad(table)) return y;
  const idList = Int32Array.from(ids);
  const maskList = Int32Array.from(mask);
  return record(y, [table], (g) => {
    const dt = gradBuffer(table);
    if (!dt) return;
    for (let b = 0; b < batch; b++) {
      const n = counts[b] as number;
      if (n === 0) continue;
      for (let t = b * seqLen; t < (b + 1) * seqLen; t++) {
        if (!maskList[t]) continue;
        const o = (idList[t] as number) * c;
        for (let j = 0; j < c; j++) dt[o + j] = (dt[o + j] as number) + (g[b * c + j] as number) / n;
      }
    }
  });
}
