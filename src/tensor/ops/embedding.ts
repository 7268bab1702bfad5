import { SbertError } from "../../errors.js";
import { Tensor, checkShape } from "../tensor.js";

/**
 * Row lookup, as `torch.nn.Embedding`: table (V, C), ids (N) → (N, C).
 * An id outside [0, V) is an INVALID_INPUT error (a tokenizer/model mismatch), never a silent read.
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
  return new Tensor(out, [ids.length, c]);
}
