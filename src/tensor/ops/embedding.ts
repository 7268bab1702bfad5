import { SbertError } from "../../errors.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape } from "../tensor.js";

/**
 * Row lookup, as `torch.nn.Embedding`: table (V, C), ids (N) → (N, C).
 * An id outside [0, V) is an INVALID_INPUT error (a tokenizer/model mismatch), never a silent read.
 * Backward: every output row's gradient is added into its table row (a dense (V, C) gradient, as
 * PyTorch's default `sparse=False`; rows never looked up get 0).
 */
export function embedding(table: Tensor, ids: ArrayLike<number>): Tensor {
  checkShape(table.shape.length === 2, "embedding", `table must be 2-D, got [${table.shape.join(", ")}]`);
  const [v, c] = [table.dim(0), table.dim(1)];
  const out = new Float32Array(ids.length * c);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!(id >= 0 && id < v)) {
      throw new SbertError("INVALID_INPUT", `token id ${id} is outside the embedding table (size ${v}); the tokenizer does not match the model`);
    }
    out.set(table.data.subarray(id * c, (id + 1) * c), i * c);
  }
  const y = new Tensor(out, [ids.length, c]);
  if (!needsGrad(table)) return y;
  const idList = Int32Array.from(ids);
  return record(y, [table], (g) => {
    const dt = new Float32Array(v * c);
    for (let i = 0; i < idList.length; i++) {
      const o = (idList[i] as number) * c;
      for (let j = 0; j < c; j++) dt[o + j] = (dt[o + j] as number) + (g[i * c + j] as number);
    }
    accumulateGrad(table, dt, true);
  });
}
