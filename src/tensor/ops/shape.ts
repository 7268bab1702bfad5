import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape } from "../tensor.js";
import { transposeData } from "./linear.js";

/**
 * Concatenation of 2-D tensors, as `torch.cat`: axis 0 stacks rows (equal widths), axis 1 joins
 * columns (equal row counts). Backward hands every input its slice of the gradient.
 */
export function concat(parts: readonly Tensor[], axis: 0 | 1): Tensor {
  checkShape(parts.length > 0, "concat", "nothing to concatenate");
  for (const p of parts) checkShape(p.shape.length === 2, "concat", `inputs must be 2-D, got [${p.shape.join(", ")}]`);
  const first = parts[0] as Tensor;
  if (axis === 0) {
    const cols = first.dim(1);
    checkShape(parts.every((p) => p.dim(1) === cols), "concat", `axis 0 needs equal widths, got ${parts.map((p) => p.dim(1)).join(", ")}`);
    const rows = parts.reduce((n, p) => n + p.dim(0), 0);
    const out = new Float32Array(rows * cols);
    let o = 0;
    for (const p of parts) {
      out.set(p.data, o);
      o += p.size;
    }
    const y = new Tensor(out, [rows, cols]);
    if (!needsGrad(...parts)) return y;
    return record(y, parts, (g) => {
      let off = 0;
      for (const p of parts) {
        accumulateGrad(p, g.subarray(off, off + p.size));
        off += p.size;
      }
    });
  }
  const rows = first.dim(0);
  checkShape(parts.every((p) => p.dim(0) === rows), "concat", `axis 1 needs equal row counts, got ${parts.map((p) => p.dim(0)).join(", ")}`);
  const cols = parts.reduce((n, p) => n + p.dim(1), 0);
  const out = new Float32Array(rows * cols);
  let c0 = 0;
  for (const p of parts) {
    const w = p.dim(1);
    for (let r = 0; r < rows; r++) out.set(p.data.subarray(r * w, (r + 1) * w), r * cols + c0);
    c0 += w;
  }
  const y = new Tensor(out, [rows, cols]);
  if (!needsGrad(...parts)) return y;
  return record(y, parts, (g) => {
    let start = 0;
    for (const p of parts) {
      const w = p.dim(1);
      if (p.requiresGrad) {
        const d = new Float32Array(rows * w);
        for (let r = 0; r < rows; r++) d.set(g.subarray(r * cols + start, r * cols + start + w), r * w);
        accumulateGrad(p, d, true);
      }
      start += w;
    }
  });
}

/** Columns [start, end) of a 2-D tensor, as `x[:, start:end]`: (N, D) → (N, end − start). */
export function sliceCols(x: Tensor, start: number, end: number): Tensor {
  checkShape(x.shape.length === 2, "sliceCols", `input must be 2-D, got [${x.shape.join(", ")}]`);
  const [rows, cols] = [x.dim(0), x.dim(1)];
  checkShape(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= cols, "sliceCols", `[${start}, ${end}) is outside 0..${cols}`);
  const w = end - start;
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(x.data.subarray(r * cols + start, r * cols + end), r * w);
  const y = new Tensor(out, [rows, w]);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const d = new Float32Array(x.size);
    for (let r = 0; r < rows; r++) d.set(g.subarray(r * w, (r + 1) * w), r * cols + start);
    accumulateGrad(x, d, true);
  });
}

/** Rows `indices` of a 2-D tensor, as `x[indices]` (repeats allowed): (N, D) → (len, D). */
export function selectRows(x: Tensor, indices: ArrayLike<number>): Tensor {
  checkShape(x.shape.length === 2, "selectRows", `input must be 2-D, got [${x.shape.join(", ")}]`);
  const [rows, cols] = [x.dim(0), x.dim(1)];
  const idx = Int32Array.from(indices);
  const out = new Float32Array(idx.length * cols);
  idx.forEach((i, k) => {
    checkShape(i >= 0 && i < rows, "selectRows", `row ${i} is outside 0..${rows - 1}`);
    out.set(x.data.subarray(i * cols, (i + 1) * cols), k * cols);
  });
  const y = new Tensor(out, [idx.length, cols]);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => {
    const d = new Float32Array(x.size);
    idx.forEach((i, k) => {
      for (let j = 0; j < cols; j++) d[i * cols + j] = (d[i * cols + j] as number) + (g[k * cols + j] as number);
    });
    accumulateGrad(x, d, true);
  });
}

/** 2-D transpose: (N, M) → (M, N). */
export function transpose(x: Tensor): Tensor {
  checkShape(x.shape.length === 2, "transpose", `input must be 2-D, got [${x.shape.join(", ")}]`);
  const [n, m] = [x.dim(0), x.dim(1)];
  const y = new Tensor(transposeData(x.data, n, m), [m, n]);
  if (!needsGrad(x)) return y;
  return record(y, [x], (g) => accumulateGrad(x, transposeData(g, m, n), true));
}
