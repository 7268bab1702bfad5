import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

/**
 * `torch.chunk(x, parts, dim=-1)` for a last axis divisible by `parts`: x (..., C) → `parts`
 * tensors (..., C / parts), copied. Backward: each chunk's gradient goes back to its columns.
 *
 * @example splitLast(Tensor.from([[1, 2, 3, 4]]), 2) // [[[1, 2]], [[3, 4]]]
 */
export function splitLast(x: Tensor, parts: number): Tensor[] {
  checkShape(x.shape.length > 0 && Number.isInteger(parts) && parts > 0 && x.dim(-1) % parts === 0, "split", `last axis of ${shapeText(x.shape)} does not split into ${parts} equal parts`);
  const c = x.dim(-1);
  const w = c / parts;
  const rows = x.size / c;
  const shape = [...x.shape.slice(0, -1), w];
  return Array.from({ length: parts }, (_, k) => {
    const out = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) out.set(x.data.subarray(r * c + k * w, r * c + (k + 1) * w), r * w);
    const y = new Tensor(out, shape);
    if (!needsGrad(x)) return y;
    return record(y, [x], (g) => {
      const d = new Float32Array(x.size);
      for (let r = 0; r < rows; r++) d.set(g.subarray(r * w, (r + 1) * w), r * c + k * w);
      accumulateGrad(x, d, true);
    });
  });
}
