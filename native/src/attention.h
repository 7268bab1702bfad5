/*
 * The scaled dot-product attention core, forward and backward: a port of its TypeScript reference
 * in src/tensor/attention-kernel.ts (jsAttentionForward / jsAttentionBackward). Every sum runs over
 * the same terms in the same order in float64, rounded to float32 where the reference stores, so
 * the results are the reference's except where exp from the C library and V8's differ by a float64
 * ulp (see ops.h). The loops are reordered only across independent sums: per (batch row, kv head)
 * the head's K (and, backward, V) is copied into a headDim x seqLen block, so that the scores
 * score[j] += q[e] * kT[e][j] run over contiguous j in the reference's order over e, and the
 * dq / dk / dv / output updates are axpys over contiguous e.
 *
 * Work is split over the pool (pool.h) by (batch row, kv head), or by kv head alone when a shared
 * bias's gradient is summed over the batch, so no two tasks write one output and the thread count
 * never changes a result. Dropout draws (xoshiro128**, the Rng's live state words) are made
 * serially first, in the reference's (b, h, i, j) order over the visible entries.
 *
 * Layout: q (batch * t, heads * d), k and v (batch * t, kv_heads * d); probs and the dropout mask
 * (batch, heads, t, t); bias (heads, t, t) or, with bias_per_batch, (batch, heads, t, t).
 */
#ifndef SBERT_ATTENTION_H
#define SBERT_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  size_t batch, t, heads, kv_heads, d;
  double scale;
  int causal;
  double window; /* key j visible from query i only if |i - j| <= window (INFINITY: no window) */
  int bias_per_batch;
} attn_dims;

/*
 * out = softmax(q k^T * scale + bias over the visible keys) v; probs (may be NULL) gets the
 * probabilities before dropout; with drop_mask, one draw from rng_state per visible (b, h, i, j)
 * sets it to 0 (draw < p) or (float)(1 / (1 - p)). bias may be NULL. Returns 0, or -1 when out of
 * memory (nothing written then).
 */
int attn_forward(const float *q, const float *k, const float *v, const uint8_t *key_mask, const float *bias,
                 const attn_dims *dims, float *out, float *probs, float *drop_mask, uint32_t rng_state[4], double p,
                 int threads);

/*
 * The gradients from the output gradient g, the kept probs and drop_mask (may be NULL): dq, dk, dv
 * (float32: each float64 sum rounded once) and dbias (float64, may be NULL) are overwritten.
 * Returns 0, or -1 when out of memory.
 */
int attn_backward(const float *q, const float *k, const float *v, const uint8_t *key_mask, const attn_dims *dims,
                  const float *probs, const float *g, const float *drop_mask, float *dq, float *dk, float *dv,
                  double *dbias, int threads);

#endif
