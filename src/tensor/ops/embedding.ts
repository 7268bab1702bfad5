import { SbertError } from "../../errors.js";
import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape } from "../tensor.js";

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
  const out = new Float32Array(ids.length * c);
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
    const dt = new Float32Array(v * c);
    for (let i = 0; i < idList.length; i++) {
      const o = (idList[i] as number) * c;
      for (let j = 0; j < c; j++) dt[o + j] = (dt[o + j] as number) + (g[i * c + j] as number);
    }
    accumulateGrad(table, dt, true);
  });
}
