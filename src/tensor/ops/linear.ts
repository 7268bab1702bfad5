import { accumulateGrad, needsGrad, record, spareGradFor } from "../autograd.js";
import { gemmKernel } from "../kernels.js";
import { opKernels } from "../op-kernels.js";
import { Tensor, checkShape, shapeSize, shapeText } from "../tensor.js";
import { scratch32 } from "../arena.js";

/** Row-major transpose: (rows, cols) → (cols, rows). */
export function transposeData(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = scratch32(data.length);
  opKernels().transpose(data, rows, cols, out);
  return out;
}

/** out (m × n) = aᵀ · b, a stored (k × m): the kernel's gemmTN, or gemmNN on a transposed copy. */
function gemmTransposedA(a: Float32Array, b: Float32Array, out: Float32Array, m: number, k: number, n: number): void {
  const kernel = gemmKernel();
  if (kernel.gemmTN) kernel.gemmTN(a, b, out, m, k, n);
  else kernel.gemmNN(transposeData(a, k, m), b, out, m, k, n);
}

/**
 * y = x · Wᵀ + b, as `torch.nn.Linear`: x (..., in), weight (out, in), bias (out) → (..., out);
 * (B·T, in) and (B, T, in) alike, the leading dimensions being rows of the same buffer (no copy).
 * Backward: dx = dy · W (`gemmNN`), dW = dyᵀ · x (`gemmTN`, reading dy's columns; a kernel without
 * it gets a transposed copy of dy), db = Σ_rows dy. Every kernel sums each element in the same
 * order for NN, NT and TN, so the numbers are those of the NT form.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  checkShape(x.shape.length >= 1, "linear", "input is 0-d; needs (..., in)");
  const inF = x.dim(-1);
  checkShape(weight.shape.length === 2 && weight.dim(1) === inF, "linear", `input ${shapeText(x.shape)} has ${inF} features, weight is ${shapeText(weight.shape)}`);
  const outF = weight.dim(0);
  checkShape(!bias || (bias.shape.length === 1 && bias.dim(0) === outF), "linear", `bias of shape [${bias?.shape.join(", ")}] for ${outF} outputs`);
  const rows = shapeSize(x.shape.slice(0, -1));
  const out = scratch32(rows * outF);
  gemmKernel().gemmNT(x.data, weight.data, out, rows, inF, outF, bias?.data);
  const y = new Tensor(out, [...x.shape.slice(0, -1), outF]);
  if (!needsGrad(x, weight, bias)) return y;
  return record(y, bias ? [x, weight, bias] : [x, weight], (g) => {
    // g: (rows, out)
    if (x.requiresGrad) {
      const dx = scratch32(rows * inF);
      gemmKernel().gemmNN(g, weight.data, dx, rows, outF, inF);
      accumulateGrad(x, dx, true);
    }
    if (weight.requiresGrad) {
      // straight into a recycled gradient buffer when the weight has none yet (the usual case)
      const spare = spareGradFor(weight);
      const dw = spare ?? new Float32Array(outF * inF);
      gemmTransposedA(g, x.data, dw, outF, rows, inF);
      if (spare) weight.grad = spare;
      else accumulateGrad(weight, dw, true);
    }
    if (bias?.requiresGrad) {
      const db = new Float64Array(outF);
      opKernels().columnSums(g, rows, outF, db);
      accumulateGrad(bias, db);
    }
  });
}

/**
 * (..., M, K) · (K, N) → (..., M, N), as `torch.matmul` with a 2-D right side: the leading
 * dimensions of `a` are rows of the same buffer (no copy), so (B, T, K) · (K, N) → (B, T, N).
 * Backward: dA = dC · Bᵀ, dB = Aᵀ · dC (over all rows).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkShape(a.shape.length >= 2 && b.shape.length === 2 && a.dim(-1) === b.dim(0), "matmul", `${shapeText(a.shape)} · ${shapeText(b.shape)}: needs (..., M, K) · (K, N)`);
  const [k, n] = [a.dim(-1), b.dim(1)];
  const m = shapeSize(a.shape.slice(0, -1));
  const out = scratch32(m * n);
  gemmKernel().gemmNN(a.data, b.data, out, m, k, n);
  const y = new Tensor(out, [...a.shape.slice(0, -1), n]);
  if (!needsGrad(a, b)) return y;
  return record(y, [a, b], (g) => {
    if (a.requiresGrad) {
      const da = scratch32(m * k);
      gemmKernel().gemmNT(g, b.data, da, m, n, k);
      accumulateGrad(a, da, true);
    }
    if (b.requiresGrad) {
      const db = scratch32(k * n);
      gemmTransposedA(a.data, g, db, k, m, n);
      accumulateGrad(b, db, true);
    }
  });
}

/** (M, K) · (N, K)ᵀ → (M, N): all pairwise row dot products (similarity matrices). */
export function matmulNT(a: Tensor, b: Tensor): Tensor {
  checkShape(a.shape.length === 2 && b.shape.length === 2 && a.dim(1) === b.dim(1), "matmulNT", `[${a.shape.join(", ")}] · [${b.shape.join(", ")}]ᵀ`);
  const [m, k, n] = [a.dim(0), a.dim(1), b.dim(0)];
  const out = scratch32(m * n);
  gemmKernel().gemmNT(a.data, b.data, out, m, k, n);
  const y = new Tensor(out, [m, n]);
  if (!needsGrad(a, b)) return y;
  return record(y, [a, b], (g) => {
    if (a.requiresGrad) {
      const da = scratch32(m * k);
      gemmKernel().gemmNN(g, b.data, da, m, n, k);
      accumulateGrad(a, da, true);
    }
    if (b.requiresGrad) {
      const db = scratch32(n * k);
      gemmTransposedA(g, a.data, db, n, m, k);
      accumulateGrad(b, db, true);
    }
  });
}
