/**
 * Python's `heapq` (min-heap over a list, `_siftdown` / `_siftup` exactly as CPython implements
 * them), parameterised by the `<` of the stored items. The array layout it leaves matters where
 * Python reads the heap list directly (`semantic_search` sorts the heap list stably by score), so
 * this is a port rather than any binary heap.
 */

/** `a < b` for the stored items (Python's tuple comparison for the tuples used here). */
export type Less<T> = (a: T, b: T) => boolean;

function siftDown<T>(heap: T[], startPos: number, pos: number, less: Less<T>): void {
  const newItem = heap[pos]!;
  while (pos > startPos) {
    const parentPos = (pos - 1) >> 1;
    const parent = heap[parentPos]!;
    if (less(newItem, parent)) {
      heap[pos] = parent;
      pos = parentPos;
      continue;
    }
    break;
  }
  heap[pos] = newItem;
}

function siftUp<T>(heap: T[], pos: number, less: Less<T>): void {
  const endPos = heap.length;
  const startPos = pos;
  const newItem = heap[pos]!;
  let childPos = 2 * pos + 1;
  while (childPos < endPos) {
    const rightPos = childPos + 1;
    if (rightPos < endPos && !less(heap[childPos]!, heap[rightPos]!)) childPos = rightPos;
    heap[pos] = heap[childPos]!;
    pos = childPos;
    childPos = 2 * pos + 1;
  }
  heap[pos] = newItem;
  siftDown(heap, startPos, pos, less);
}

/** `heapq.heappush(heap, item)`. */
export function heappush<T>(heap: T[], item: T, less: Less<T>): void {
  heap.push(item);
  siftDown(heap, 0, heap.length - 1, less);
}

/** `heapq.heappop(heap)`: removes and returns the smallest item (undefined when empty). */
export function heappop<T>(heap: T[], less: Less<T>): T | undefined {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return last;
  const smallest = heap[0]!;
  heap[0] = last;
  siftUp(heap, 0, less);
  return smallest;
}

/** `heapq.heappushpop(heap, item)`: pushes `item`, then pops and returns the smallest. */
export function heappushpop<T>(heap: T[], item: T, less: Less<T>): T {
  const top = heap[0];
  if (top !== undefined && less(top, item)) {
    heap[0] = item;
    siftUp(heap, 0, less);
    return top;
  }
  return item;
}

