/*
 * Single-precision GEMM for sbert-ts: C (M x N) = op(A) . op(B) [+ bias], all row-major.
 * op(B) = B^T with B stored (N x K) ("NT", the layout of nn.Linear.weight) or B stored (K x N) ("NN");
 * op(A) = A (M x K) or A^T with A stored (K x M) ("TN": a weight gradient dW = dY^T . X without a
 * transposed copy of dY; packing reads the columns, the arithmetic is the same).
 *
 * Every output element is one float32 fused-multiply-add chain over p = 0 .. K-1 in order, starting
 * from 0, with the bias (if any) added once at the end. That order does not depend on the shape, the
 * tile an element falls in, the instruction set chosen at run time, or the number of threads, so a
 * row of C is bit-identical whether it is computed alone or inside a larger batch.
 */
#ifndef SBERT_GEMM_H
#define SBERT_GEMM_H

#include <stddef.h>

/*
 * Micro-kernel: the MR x NR tile c (row stride ldc) gets  c = (accumulate ? c : 0) + ap . bp  where
 * ap is a packed A panel [kc][MR] and bp a packed B panel [kc][NR].
 */
typedef void (*gemm_ukr_fn)(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int accumulate);

/*
 * Packs w <= nr rows of b (each kc floats from `b + row * ldb`) as the columns of a [kc][nr] panel,
 * zero-padding columns w .. nr-1: the transpose that the "NT" layout needs.
 */
typedef void (*gemm_pack_bt_fn)(const float *b, size_t ldb, size_t w, size_t kc, int nr, float *dst);

typedef struct {
  const char *name; /* "avx512", "avx2", "generic" */
  int mr;
  int nr;
  gemm_ukr_fn ukr;
  gemm_pack_bt_fn pack_bt;
} gemm_isa;

/* The best micro-kernel this CPU runs (checked with cpuid once); `force` picks one by name or NULL. */
const gemm_isa *gemm_select_isa(const char *force);

/* Per-JS-thread scratch for the packed panels; grown on demand, freed by gemm_workspace_free. */
typedef struct {
  float *bpack;
  size_t bcap; /* floats */
  void *bpack_raw;
  float *apack;
  size_t acap;
  void *apack_raw;
} gemm_workspace;

void gemm_workspace_free(gemm_workspace *ws);

/* layout bits of gemm_sgemm */
enum { GEMM_B_T = 1, GEMM_A_T = 2 };

/*
 * c (m x n, row stride n) = op(a) . op(b) + bias.  layout & GEMM_B_T: b is (n x k) ("NT"), else
 * (k x n) ("NN"); layout & GEMM_A_T: a is (k x m), else (m x k).  bias may be NULL.  threads >= 1
 * splits the columns between that many threads (the result does not depend on it).  Returns 0, or
 * -1 when memory ran out.
 */
int gemm_sgemm(gemm_workspace *ws, const gemm_isa *isa, int layout, size_t m, size_t k, size_t n,
               const float *a, const float *b, float *c, const float *bias, int threads);

#endif
