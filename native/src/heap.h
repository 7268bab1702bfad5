/*
 * Process heap tuning for allocation-heavy work (see heap.c for why and what was measured).
 */
#ifndef SBERT_HEAP_H
#define SBERT_HEAP_H

#include <stddef.h>

/*
 * Blocks up to `mmap_threshold` bytes come from the heap instead of fresh mappings, and up to
 * `trim_threshold` bytes of free memory stay in the heap instead of going back to the kernel.
 * Both at most INT_MAX (glibc may refuse a larger mmap threshold: then nothing changes, 0). Returns 1 when applied (glibc), 0 otherwise.
 */
int heap_keep_freed_memory(size_t mmap_threshold, size_t trim_threshold);

#endif
