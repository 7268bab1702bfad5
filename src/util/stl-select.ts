/**
 * A line-by-line port of the libstdc++ (GCC) selection algorithms that PyTorch's CPU `topk` calls:
 * `std::nth_element` (introselect), `std::partial_sort` (heap select + sort_heap) and `std::sort`
 * (introsort + final insertion sort). They are not stable, so the order in which they leave equal
 * scores is part of what Python returns; porting them reproduces that order exactly.
 *
 * All functions work in place on a `Pairs` (value, index) array over the half-open range
 * [first, last) and order by `before(x, y)` = torch's `largest=True` comparator: NaN first, then
 * greater values first. Only values are compared, never the indices.
 */

/** Parallel (value, original index) arrays: the `std::vector<std::pair<float, int64_t>>` of ATen. */
export interface Pairs {
  readonly v: Float64Array;
  readonly ix: Int32Array;
}

/** torch's `largest=True` comparator: `(isnan(x) && !isnan(y)) || x > y`. */
function before(x: number, y: number): boolean {
  return (x !== x && y === y) || x > y;
}

function swap(p: Pairs, a: number, b: number): void {
  const v = p.v[a]!, ix = p.ix[a]!;
  p.v[a] = p.v[b]!;
  p.ix[a] = p.ix[b]!;
  p.v[b] = v;
  p.ix[b] = ix;
}

function move(p: Pairs, to: number, from: number): void {
  p.v[to] = p.v[from]!;
  p.ix[to] = p.ix[from]!;
}

/** floor(log2(n)) for n ≥ 1 (`std::__lg`). */
function lg(n: number): number {
  return 31 - Math.clz32(n);
}

/** C++ integer division by 2 of a possibly negative number (truncates toward zero). */
function half(n: number): number {
  return Math.trunc(n / 2);
}

// ---- heap (bits/stl_heap.h) ----

function pushHeap(p: Pairs, first: number, hole: number, top: number, value: number, valueIx: number): void {
  let parent = half(hole - 1);
  while (hole > top && before(p.v[first + parent]!, value)) {
    move(p, first + hole, first + parent);
    hole = parent;
    parent = half(hole - 1);
  }
  p.v[first + hole] = value;
  p.ix[first + hole] = valueIx;
}

function adjustHeap(p: Pairs, first: number, hole: number, len: number, value: number, valueIx: number): void {
  const top = hole;
  let second = hole;
  while (second < half(len - 1)) {
    second = 2 * (second + 1);
    if (before(p.v[first + second]!, p.v[first + second - 1]!)) second--;
    move(p, first + hole, first + second);
    hole = second;
  }
  if ((len & 1) === 0 && second === half(len - 2)) {
    second = 2 * (second + 1);
    move(p, first + hole, first + second - 1);
    hole = second - 1;
  }
  pushHeap(p, first, hole, top, value, valueIx);
}

function makeHeap(p: Pairs, first: number, last: number): void {
  const len = last - first;
  if (len < 2) return;
  let parent = half(len - 2);
  for (;;) {
    adjustHeap(p, first, parent, len, p.v[first + parent]!, p.ix[first + parent]!);
    if (parent === 0) return;
    parent--;
  }
}

function popHeap(p: Pairs, first: number, last: number, result: number): void {
  const value = p.v[result]!, valueIx = p.ix[result]!;
  move(p, result, first);
  adjustHeap(p, first, 0, last - first, value, valueIx);
}

function heapSelect(p: Pairs, first: number, middle: number, last: number): void {
  makeHeap(p, first, middle);
  for (let i = middle; i < last; i++) {
    if (before(p.v[i]!, p.v[first]!)) popHeap(p, first, middle, i);
  }
}

function sortHeap(p: Pairs, first: number, last: number): void {
  while (last - first > 1) {
    last--;
    popHeap(p, first, last, last);
  }
}

/** `std::partial_sort(first, middle, last)`: the best `middle - first` entries, sorted, in front. */
export function partialSort(p: Pairs, first: number, middle: number, last: number): void {
  heapSelect(p, first, middle, last);
  sortHeap(p, first, middle);
}

// ---- partitioning and insertion sort (bits/stl_algo.h) ----

function moveMedianToFirst(p: Pairs, result: number, a: number, b: number, c: number): void {
  const v = p.v;
  if (before(v[a]!, v[b]!)) {
    if (before(v[b]!, v[c]!)) swap(p, result, b);
    else if (before(v[a]!, v[c]!)) swap(p, result, c);
    else swap(p, result, a);
  } else if (before(v[a]!, v[c]!)) swap(p, result, a);
  else if (before(v[b]!, v[c]!)) swap(p, result, c);
  else swap(p, result, b);
}

function unguardedPartition(p: Pairs, first: number, last: number, pivot: number): number {
  const v = p.v;
  for (;;) {
    while (before(v[first]!, v[pivot]!)) first++;
    last--;
    while (before(v[pivot]!, v[last]!)) last--;
    if (!(first < last)) return first;
    swap(p, first, last);
    first++;
  }
}

function unguardedPartitionPivot(p: Pairs, first: number, last: number): number {
  const mid = first + half(last - first);
  moveMedianToFirst(p, first, first + 1, mid, last - 1);
  return unguardedPartition(p, first + 1, last, first);
}

function unguardedLinearInsert(p: Pairs, last: number): void {
  const value = p.v[last]!, valueIx = p.ix[last]!;
  let next = last - 1;
  while (before(value, p.v[next]!)) {
    move(p, last, next);
    last = next;
    next--;
  }
  p.v[last] = value;
  p.ix[last] = valueIx;
}

function insertionSort(p: Pairs, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i !== last; i++) {
    if (before(p.v[i]!, p.v[first]!)) {
      const value = p.v[i]!, valueIx = p.ix[i]!;
      p.v.copyWithin(first + 1, first, i);
      p.ix.copyWithin(first + 1, first, i);
      p.v[first] = value;
      p.ix[first] = valueIx;
    } else {
      unguardedLinearInsert(p, i);
    }
  }
}

/** `std::nth_element(first, nth, last)`: the entry that belongs at `nth` goes there, better ones before it. */
export function nthElement(p: Pairs, first: number, nth: number, last: number): void {
  if (first === last || nth === last) return;
  let depthLimit = lg(last - first) * 2;
  while (last - first > 3) {
    if (depthLimit === 0) {
      heapSelect(p, first, nth + 1, last);
      swap(p, first, nth);
      return;
    }
    depthLimit--;
    const cut = unguardedPartitionPivot(p, first, last);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(p, first, last);
}

const SORT_THRESHOLD = 16;

function introsortLoop(p: Pairs, first: number, last: number, depthLimit: number): void {
  while (last - first > SORT_THRESHOLD) {
    if (depthLimit === 0) {
      partialSort(p, first, last, last);
      return;
    }
    depthLimit--;
    const cut = unguardedPartitionPivot(p, first, last);
    introsortLoop(p, cut, last, depthLimit);
    last = cut;
  }
}

/** `std::sort(first, last)` (introsort; not stable). */
export function introsort(p: Pairs, first: number, last: number): void {
  if (first === last) return;
  introsortLoop(p, first, last, lg(last - first) * 2);
  if (last - first > SORT_THRESHOLD) {
    insertionSort(p, first, first + SORT_THRESHOLD);
    for (let i = first + SORT_THRESHOLD; i !== last; i++) unguardedLinearInsert(p, i);
  } else {
    insertionSort(p, first, last);
  }
}
