/*
 * See heap.h. glibc only: elsewhere (musl, macOS, Windows) heap_keep_freed_memory does nothing.
 *
 * Why: every op's output is a fresh Float32Array, which Node allocates with calloc and frees when
 * the garbage collector drops it. A training step allocates and frees hundreds of MB that way.
 * With glibc's defaults, blocks above the (dynamic) mmap threshold are fresh mappings and the top
 * of the heap is handed back to the kernel once 2x that threshold is free, so the next step's
 * buffers are new pages again: every first touch is a page fault plus the kernel zeroing the page,
 * inside the GEMMs and the row kernels. Measured on the MiniLM-L6 training bench (bench/train.ts),
 * 1 thread: 14 -> 19 pairs/s, a third of the system time gone. Keeping freed memory in the heap
 * (calloc then clears reused blocks with memset, far cheaper than faulting) is what PyTorch's
 * users get from its caching allocator or jemalloc.
 */
#include "heap.h"

#include <stdlib.h> /* defines __GLIBC__ on glibc */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int heap_keep_freed_memory(size_t mmap_threshold, size_t trim_threshold) {
#if defined(__GLIBC__)
  /* M_MMAP_THRESHOLD fixes the threshold (glibc stops adapting it); blocks above it still map and unmap */
  if (mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) != 1) return 0;
  return mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#else
  (void)mmap_threshold;
  (void)trim_threshold;
  return 0;
#endif
}
