/**
 * `torch.topk(row, k, largest=True, sorted=...)` on CPU, including the order it leaves equal values
 * in (ATen's `topk_impl_loop` over the libstdc++ algorithms ported in `stl-select.ts`):
 * `k * 64 <= n` → `std::partial_sort` of the first k; otherwise `std::nth_element` at k - 1 and, when
 * `sorted`, `std::sort` of the first k - 1.
 */
import { introsort, nthElement, partialSort, type Pairs } from "./stl-select.js";

/** The k best (value, index) pairs of one row, in torch's output order. */
export interface TopK {
  readonly values: Float64Array;
  readonly indices: Int32Array;
}

/**
 * Top `k` of `row[offset, offset + n)` (0 ≤ k ≤ n), indices relative to `offset`.
 *
 * @example
 * torchTopk(Float32Array.of(1, 3, 2), 0, 3, 2, true); // values [3, 2], indices [1, 2]
 */
export function torchTopk(row: ArrayLike<number>, offset: number, n: number, k: number, sorted: boolean): TopK {
  if (k === 0) return { values: new Float64Array(0), indices: new Int32Array(0) };
  const p: Pairs = { v: new Float64Array(n), ix: new Int32Array(n) };
  for (let j = 0; j < n; j++) {
    p.v[j] = row[offset + j]!;
    p.ix[j] = j;
  }
  if (k * 64 <= n) {
    partialSort(p, 0, k, n);
  } else {
    nthElement(p, 0, k - 1, n);
    if (sorted) introsort(p, 0, k - 1);
  }
  return { values: p.v.slice(0, k), indices: p.ix.slice(0, k) };
}
