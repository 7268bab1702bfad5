/*
 * Row-wise and elementwise kernels of the tensor ops and the optimizer, forward and backward.
 * Each is a line-for-line port of its TypeScript reference in src/tensor/op-kernels.ts: the same
 * float64 operations in the same order, rounded to float32 where the reference stores, so the
 * results are bit-identical to it (exp/tanh come from the C library here and from V8's fdlibm
 * port there; both are within an ulp in float64, which float32 rounding almost always hides:
 * the tests state the tolerance). Work is split over the pool (pool.h) in fixed chunks of
 * elements or rows, and no reduction crosses a chunk boundary, so the thread count never changes
 * a result.
 */
#ifndef SBERT_OPS_H
#define SBERT_OPS_H

#include <stddef.h>
#include <stdint.h>

/* tanh_form 0: y = x/2 · (1 + erf(x/√2)); 1: the tanh approximation. */
void ops_gelu_forward(const float *x, float *y, size_t n, int tanh_form, int threads);
/* dx = g · GELU'(x) */
void ops_gelu_backward(const float *x, const float *g, float *dx, size_t n, int tanh_form, int threads);

void ops_layer_norm_forward(const float *x, const float *gamma, const float *beta, float *y, size_t rows, size_t c,
                            double eps, int threads);
/* dx may be NULL; dgamma and dbeta (c, float64) are overwritten with the sums over the rows. */
void ops_layer_norm_backward(const float *x, const float *gamma, const float *dy, float *dx, double *dgamma,
                             double *dbeta, size_t rows, size_t c, double eps, int threads);

/* dst[ids[i]·c + j] += g[i·c + j], rows in order. */
void ops_embedding_scatter_add(float *dst, const float *g, const int32_t *ids, size_t count, size_t c);

typedef struct {
  double beta1, beta2, step_size, bc2_sqrt, decay, eps;
} ops_adamw_hyper;
void ops_adamw(float *w, const float *g, float *m, float *v, size_t n, const ops_adamw_hyper *h, int threads);

/* Σ x² in float64, in order. */
double ops_sum_squares(const float *x, size_t n);
/* x ← fround(x · s) */
void ops_scale(float *x, size_t n, double s, int threads);

/*
 * Cross-entropy forward (math.ts softmaxRow per row): probs (n x c, float64) = softmax of each row
 * of x without the entries where excluded[i] != 0 (excluded may be NULL); returns the sum over the
 * rows in order of (max + log sum exp(x - max)) - x[label].
 */
double ops_softmax_cross_entropy(const float *x, size_t n, size_t c, const int32_t *labels, const uint8_t *excluded,
                                 double *probs);

/* dst[i] = (float)(dst[i] + src[i]) */
void ops_add_into(float *dst, const float *src, size_t n, int threads);
/* out[i] = a[i] + b[i] (mul = 0) or a[i] · b[i] (mul = 1), in float32; out may be a or b */
void ops_binary(const float *a, const float *b, float *out, size_t n, int mul, int threads);
/* out (cols x rows) = data (rows x cols) transposed */
void ops_transpose(const float *data, size_t rows, size_t cols, float *out);
/* out[j] = sum over r in order of g[r*cols + j], float64 */
void ops_column_sums(const float *g, size_t rows, size_t cols, double *out);

/*
 * mask[i] = (next_float() < p ? 0 : keep) in order, next_float = xoshiro128** / 2^32 advancing
 * state[4] in place: src/tensor/random.ts Rng.nextFloat, bit for bit.
 */
void ops_dropout_mask(uint32_t state[4], float *mask, size_t n, double p, float keep);

#endif
