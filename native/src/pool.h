/*
 * A persistent thread pool for the addon's kernels: workers are created once (on the first call
 * that asks for them) and wait on a condition variable between calls, instead of pthread_create /
 * pthread_join per product.
 *
 * pool_run(threads, ntasks, fn, ctx) runs fn(ctx, task, worker) for every task in [0, ntasks) on
 * up to `threads` threads (the caller is worker 0 and takes part). Tasks are claimed dynamically,
 * so callers must make every task's result independent of which worker runs it and in what order
 * (disjoint outputs, each written by one fixed reduction order): that is what makes every kernel's
 * numbers independent of the thread count. Calls from different JS threads are serialized.
 */
#ifndef SBERT_POOL_H
#define SBERT_POOL_H

#include <stddef.h>

enum { POOL_MAX_THREADS = 64 };

typedef void (*pool_fn)(void *ctx, size_t task, int worker);

/* Returns the number of threads that took part (1 when threads <= 1, ntasks <= 1 or no threads). */
int pool_run(int threads, size_t ntasks, pool_fn fn, void *ctx);

#endif
