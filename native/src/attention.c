/* See attention.h; the reference is src/tensor/attention-kernel.ts. Built with -ffp-contract=off. */
#include "attention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

/* As in ops.c: AVX-512 / AVX2 / generic clones of the loops; vector float64 + and * round as scalar ones. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ATTN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ATTN_CLONES
#endif

/* The least work (multiply-adds) worth a second thread. */
#define ATTN_PAR_MIN ((size_t)1 << 16)

/*
 * The keys [lo, hi) that the causal and window rules leave visible from query i (the key mask is
 * checked per key): |i - j| <= window holds for integers exactly when |i - j| <= floor(window).
 */
static void key_range(const attn_dims *dm, size_t i, size_t *lo, size_t *hi) {
  size_t l = 0, h = dm->causal ? i + 1 : dm->t;
  if (!(dm->window >= 0)) h = 0; /* negative or NaN: no key is within it */
  else if (dm->window < (double)dm->t) {
    const size_t w = (size_t)dm->window;
    if (i > w) l = i - w;
    if (i + w + 1 < h) h = i + w + 1;
  }
  *lo = l;
  *hi = h > l ? h : l;
}

/* The queries [lo, hi) that may see key j under the causal and window rules (key_range's converse). */
static void query_range(const attn_dims *dm, size_t j, size_t *lo, size_t *hi) {
  size_t l = dm->causal ? j : 0, h = dm->t;
  if (!(dm->window >= 0)) h = 0;
  else if (dm->window < (double)dm->t) {
    const size_t w = (size_t)dm->window;
    if (j > w && j - w > l) l = j - w;
    if (j + w + 1 < h) h = j + w + 1;
  }
  *lo = l;
  *hi = h > l ? h : l;
}

static inline void axpy_d(double *restrict y, double a, const double *restrict x, size_t n) {
  for (size_t e = 0; e < n; e++) y[e] += a * x[e];
}

/*
 * acc[j] = sum over e in order of x[e] * rows[e][j] for j in [lo, hi) (rows: n x t, row-major),
 * eight (then four) rows per pass over acc: ((acc + x0 r0) + x1 r1) + ... is the same sum in the
 * same order.
 */
static inline void dot_rows(double *restrict acc, const double *restrict x, const double *restrict rows, size_t n,
                            size_t t, size_t lo, size_t hi) {
  for (size_t j = lo; j < hi; j++) acc[j] = 0;
  size_t e = 0;
  for (; e + 8 <= n; e += 8) {
    const double *restrict r = rows + e * t;
    const double *restrict r0 = r, *restrict r1 = r0 + t, *restrict r2 = r1 + t, *restrict r3 = r2 + t;
    const double *restrict r4 = r3 + t, *restrict r5 = r4 + t, *restrict r6 = r5 + t, *restrict r7 = r6 + t;
    const double *restrict xe = x + e;
    for (size_t j = lo; j < hi; j++)
      acc[j] = acc[j] + xe[0] * r0[j] + xe[1] * r1[j] + xe[2] * r2[j] + xe[3] * r3[j] + xe[4] * r4[j] + xe[5] * r5[j] +
               xe[6] * r6[j] + xe[7] * r7[j];
  }
  for (; e + 4 <= n; e += 4) {
    const double x0 = x[e], x1 = x[e + 1], x2 = x[e + 2], x3 = x[e + 3];
    const double *restrict r0 = rows + e * t, *restrict r1 = r0 + t, *restrict r2 = r1 + t, *restrict r3 = r2 + t;
    for (size_t j = lo; j < hi; j++) acc[j] = acc[j] + x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
  }
  for (; e < n; e++) {
    const double xe = x[e];
    const double *restrict r = rows + e * t;
    for (size_t j = lo; j < hi; j++) acc[j] += xe * r[j];
  }
}

/*
 * acc[e] += sum over c in order of coef[c] * rows[idx[c]][e] (rows: t x n, row-major), eight (then
 * four) terms per pass over acc, in order.
 */
static inline void comb_rows(double *restrict acc, const double *restrict coef, const uint32_t *restrict idx, size_t cnt,
                             const double *restrict rows, size_t n) {
  size_t c = 0;
  for (; c + 8 <= cnt; c += 8) {
    const uint32_t *restrict ix = idx + c;
    const double *restrict r0 = rows + (size_t)ix[0] * n, *restrict r1 = rows + (size_t)ix[1] * n;
    const double *restrict r2 = rows + (size_t)ix[2] * n, *restrict r3 = rows + (size_t)ix[3] * n;
    const double *restrict r4 = rows + (size_t)ix[4] * n, *restrict r5 = rows + (size_t)ix[5] * n;
    const double *restrict r6 = rows + (size_t)ix[6] * n, *restrict r7 = rows + (size_t)ix[7] * n;
    const double *restrict k = coef + c;
    for (size_t e = 0; e < n; e++)
      acc[e] = acc[e] + k[0] * r0[e] + k[1] * r1[e] + k[2] * r2[e] + k[3] * r3[e] + k[4] * r4[e] + k[5] * r5[e] +
               k[6] * r6[e] + k[7] * r7[e];
  }
  for (; c + 4 <= cnt; c += 4) {
    const double c0 = coef[c], c1 = coef[c + 1], c2 = coef[c + 2], c3 = coef[c + 3];
    const double *restrict r0 = rows + (size_t)idx[c] * n, *restrict r1 = rows + (size_t)idx[c + 1] * n;
    const double *restrict r2 = rows + (size_t)idx[c + 2] * n, *restrict r3 = rows + (size_t)idx[c + 3] * n;
    for (size_t e = 0; e < n; e++) acc[e] = acc[e] + c0 * r0[e] + c1 * r1[e] + c2 * r2[e] + c3 * r3[e];
  }
  for (; c < cnt; c++) axpy_d(acc, coef[c], rows + (size_t)idx[c] * n, n);
}

/* acc[e] += sum over c in order of coef[c] * rows[c][e] (rows: cnt x n, row-major), eight (then four) terms per pass. */
static inline void comb_seq(double *restrict acc, const double *restrict coef, size_t cnt, const double *restrict rows,
                            size_t n) {
  size_t c = 0;
  for (; c + 8 <= cnt; c += 8) {
    const double *restrict r0 = rows + c * n, *restrict r1 = r0 + n, *restrict r2 = r1 + n, *restrict r3 = r2 + n;
    const double *restrict r4 = r3 + n, *restrict r5 = r4 + n, *restrict r6 = r5 + n, *restrict r7 = r6 + n;
    const double *restrict k = coef + c;
    for (size_t e = 0; e < n; e++)
      acc[e] = acc[e] + k[0] * r0[e] + k[1] * r1[e] + k[2] * r2[e] + k[3] * r3[e] + k[4] * r4[e] + k[5] * r5[e] +
               k[6] * r6[e] + k[7] * r7[e];
  }
  for (; c + 4 <= cnt; c += 4) {
    const double c0 = coef[c], c1 = coef[c + 1], c2 = coef[c + 2], c3 = coef[c + 3];
    const double *restrict r0 = rows + c * n, *restrict r1 = r0 + n, *restrict r2 = r1 + n, *restrict r3 = r2 + n;
    for (size_t e = 0; e < n; e++) acc[e] = acc[e] + c0 * r0[e] + c1 * r1[e] + c2 * r2[e] + c3 * r3[e];
  }
  for (; c < cnt; c++) axpy_d(acc, coef[c], rows + c * n, n);
}

/* dst (d x t) = the kv head's rows of src (t rows of `stride` floats) transposed, as float64. */
static void transpose_head(double *restrict dst, const float *restrict src, size_t t, size_t d, size_t stride) {
  for (size_t j = 0; j < t; j++) {
    const float *row = src + j * stride;
    for (size_t e = 0; e < d; e++) dst[e * t + j] = row[e];
  }
}

/* dst (t x d) = the kv head's rows of src, contiguous, as float64. */
static void copy_head(double *restrict dst, const float *restrict src, size_t t, size_t d, size_t stride) {
  for (size_t j = 0; j < t; j++)
    for (size_t e = 0; e < d; e++) dst[j * d + e] = src[j * stride + e];
}

/*
 * Doubles of one worker's scratch, each part rounded to 64 bytes. Forward: K transposed and V
 * (d x t blocks), three t-vectors and the visible keys' indices (t uint32 in a fourth), two
 * d-vectors. Backward: six d x t blocks (V transposed; the head's K, q and g rows and the block's
 * dK and dV sums, contiguous instead of strided over the full rows), one head's t x t scale * dS
 * transposed, four t-vectors and the indices.
 */
static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }
static size_t scratch_per_worker(const attn_dims *dm, int backward) {
  const size_t blk = round8(dm->d * dm->t), tv = round8(dm->t);
  return backward ? 7 * blk + round8(dm->t * dm->t) + 5 * tv : 2 * blk + 4 * tv + 2 * round8(dm->d);
}

static int workers_for(const attn_dims *dm, size_t ntasks, int threads) {
  const double work = (double)dm->batch * (double)dm->heads * (double)dm->t * (double)dm->t * (double)dm->d;
  if (work < (double)ATTN_PAR_MIN || threads < 1) threads = 1;
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  if ((size_t)threads > ntasks) threads = ntasks > 0 ? (int)ntasks : 1;
  return threads;
}

static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

/* random.ts Rng.nextUint32 (xoshiro128**), as ops.c's ops_dropout_mask draws it */
static inline uint32_t next_u32(uint32_t s[4]) {
  const uint32_t result = rotl32(s[1] * 5u, 7) * 9u;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

typedef struct {
  const float *q, *k, *v, *bias, *probs_in, *g, *drop;
  const uint8_t *mask;
  const attn_dims *dm;
  float *out, *probs;
  float *dq, *dk, *dv;
  double *dbias;
  double keep; /* 1 / (1 - p), the factor the reference multiplies by (its mask stores it rounded) */
  double *scratch;
  size_t per;
  int by_head; /* backward: one task per kv head, the batch rows in order inside */
} attn_job;

/* The visible keys of [lo, hi) (mask[j] != 0) in order into idx; returns their count. */
static inline size_t visible_keys(const uint8_t *mask, size_t lo, size_t hi, uint32_t *idx) {
  size_t n = 0;
  for (size_t j = lo; j < hi; j++) {
    idx[n] = (uint32_t)j;
    n += mask[j] != 0;
  }
  return n;
}

ATTN_CLONES static void fwd_task(void *ctx, size_t task, int worker) {
  const attn_job *jb = (const attn_job *)ctx;
  const attn_dims *dm = jb->dm;
  const size_t t = dm->t, d = dm->d, heads = dm->heads, kvh = dm->kv_heads, group = heads / kvh;
  const size_t width = heads * d, kvw = kvh * d, b = task / kvh, kv = task % kvh, base = b * t, kvo = kv * d;
  const size_t blk = round8(d * t), tv = round8(t);
  double *kT = jb->scratch + (size_t)worker * jb->per, *vc = kT + blk, *s = vc + blk, *pv = s + tv, *acc = pv + tv, *qd = acc + round8(d);
  uint32_t *idx = (uint32_t *)(qd + round8(d));
  transpose_head(kT, jb->k + base * kvw + kvo, t, d, kvw);
  copy_head(vc, jb->v + base * kvw + kvo, t, d, kvw);
  const uint8_t *mask = jb->mask + base;
  const double scale = dm->scale;
  for (size_t h = kv * group; h < (kv + 1) * group; h++) {
    const size_t bo = ((dm->bias_per_batch ? b * heads : 0) + h) * t * t;
    for (size_t i = 0; i < t; i++) {
      const size_t qo = (base + i) * width + h * d, po = ((b * heads + h) * t + i) * t;
      size_t lo, hi;
      key_range(dm, i, &lo, &hi);
      for (size_t e = 0; e < d; e++) qd[e] = jb->q[qo + e];
      dot_rows(s, qd, kT, d, t, lo, hi);
      for (size_t j = lo; j < hi; j++) s[j] = (float)(s[j] * scale); /* every key of the range; only visible ones are read */
      if (jb->bias) {
        const float *br = jb->bias + bo + i * t;
        for (size_t j = lo; j < hi; j++) s[j] += br[j];
      }
      const size_t n = visible_keys(mask, lo, hi, idx);
      double max = -INFINITY;
      for (size_t c = 0; c < n; c++) {
        const double sc = s[idx[c]];
        if (sc > max) max = sc;
      }
      double sum = 0;
      for (size_t c = 0; c < n; c++) {
        const double e = exp(s[idx[c]] - max);
        pv[c] = e;
        sum += e;
      }
      for (size_t c = 0; c < n; c++) pv[c] = pv[c] / sum;
      if (jb->probs)
        for (size_t c = 0; c < n; c++) jb->probs[po + idx[c]] = (float)pv[c];
      if (jb->drop)
        for (size_t c = 0; c < n; c++) pv[c] *= jb->drop[po + idx[c]] != 0 ? jb->keep : 0.0;
      for (size_t e = 0; e < d; e++) acc[e] = 0;
      comb_rows(acc, pv, idx, n, vc, d);
      float *o = jb->out + qo;
      for (size_t e = 0; e < d; e++) o[e] = (float)acc[e];
    }
  }
}

/* The dropout draws, in the reference's order: one per visible (b, h, i, j). */
static void draw_mask(const attn_dims *dm, const uint8_t *key_mask, float *drop_mask, uint32_t rng_state[4], double p) {
  const float keep = (float)(1 / (1 - p));
  const size_t t = dm->t;
  uint32_t s[4] = {rng_state[0], rng_state[1], rng_state[2], rng_state[3]};
  for (size_t b = 0; b < dm->batch; b++)
    for (size_t h = 0; h < dm->heads; h++)
      for (size_t i = 0; i < t; i++) {
        size_t lo, hi;
        key_range(dm, i, &lo, &hi);
        float *m = drop_mask + ((b * dm->heads + h) * t + i) * t;
        for (size_t j = lo; j < hi; j++)
          if (key_mask[b * t + j]) m[j] = (double)next_u32(s) / 4294967296.0 < p ? 0.0f : keep;
      }
  memcpy(rng_state, s, sizeof s);
}

static double *alloc_scratch(const attn_dims *dm, int backward, int workers, size_t *per) {
  *per = scratch_per_worker(dm, backward);
  return (double *)malloc(((size_t)workers * *per + 1) * sizeof(double));
}

int attn_forward(const float *q, const float *k, const float *v, const uint8_t *key_mask, const float *bias,
                 const attn_dims *dims, float *out, float *probs, float *drop_mask, uint32_t rng_state[4], double p,
                 int threads) {
  const size_t ntasks = dims->batch * dims->kv_heads;
  const int workers = workers_for(dims, ntasks, threads);
  attn_job jb = {q, k, v, bias, NULL, NULL, drop_mask, key_mask, dims, out, probs, NULL, NULL, NULL, NULL,
                 1 / (1 - p), NULL, 0, 0};
  jb.scratch = alloc_scratch(dims, 0, workers, &jb.per);
  if (!jb.scratch) return -1;
  if (drop_mask) draw_mask(dims, key_mask, drop_mask, rng_state, p);
  pool_run(workers, ntasks, fwd_task, &jb);
  free(jb.scratch);
  return 0;
}

/*
 * One (batch row, kv head): per head of its group, first the queries in order (dP, dS, dq, dBias;
 * scale * dS kept transposed), then per key j the sums over the queries in order that make dv_j
 * and dk_j: the reference adds the same terms to them in the same (head, query) order.
 */
ATTN_CLONES static void bwd_block(const attn_job *jb, size_t b, size_t kv, double *scratch) {
  const attn_dims *dm = jb->dm;
  const size_t t = dm->t, d = dm->d, heads = dm->heads, kvh = dm->kv_heads, group = heads / kvh;
  const size_t width = heads * d, kvw = kvh * d, base = b * t, kvo = kv * d;
  const size_t blk = round8(d * t), tv = round8(t);
  double *vT = scratch, *kc = vT + blk, *dkc = kc + blk, *dvc = dkc + blk, *qc = dvc + blk, *gc = qc + blk, *dqc = gc + blk;
  double *cT = dqc + blk, *dp = cT + round8(t * t), *pv = dp + tv, *dsv = pv + tv, *cv = dsv + tv;
  uint32_t *idx = (uint32_t *)(cv + tv);
  transpose_head(vT, jb->v + base * kvw + kvo, t, d, kvw);
  copy_head(kc, jb->k + base * kvw + kvo, t, d, kvw);
  /* every term of these rows of dk and dv comes from this block: summed here from 0, then stored */
  memset(dkc, 0, 2 * blk * sizeof(double));
  const uint8_t *mask = jb->mask + base;
  const float *drop = jb->drop;
  const double scale = dm->scale;
  for (size_t h = kv * group; h < (kv + 1) * group; h++) {
    const size_t bo = ((dm->bias_per_batch ? b * heads : 0) + h) * t * t, ph = (b * heads + h) * t * t;
    copy_head(qc, jb->q + base * width + h * d, t, d, width);
    copy_head(gc, jb->g + base * width + h * d, t, d, width);
    memset(dqc, 0, t * d * sizeof(double)); /* this head's dq rows: all their terms come from here */
    for (size_t i = 0; i < t; i++) {
      const size_t po = ph + i * t;
      const double *gd = gc + i * d;
      size_t lo, hi;
      key_range(dm, i, &lo, &hi);
      dot_rows(dp, gd, vT, d, t, lo, hi); /* dP_ij = g_i . v_j */
      const size_t n = visible_keys(mask, lo, hi, idx);
      for (size_t c = 0; c < n; c++) pv[c] = jb->probs_in[po + idx[c]];
      double sum_pdp = 0;
      for (size_t c = 0; c < n; c++) {
        const double dpj = drop ? dp[idx[c]] * (double)drop[po + idx[c]] : dp[idx[c]];
        dsv[c] = dpj;
        sum_pdp += pv[c] * dpj;
      }
      for (size_t c = 0; c < n; c++) {
        dsv[c] = pv[c] * (dsv[c] - sum_pdp);
        cv[c] = dsv[c] * scale;
      }
      if (jb->dbias) {
        double *db = jb->dbias + bo + i * t;
        for (size_t c = 0; c < n; c++) db[idx[c]] += dsv[c];
      }
      comb_rows(dqc + i * d, cv, idx, n, kc, d);
      for (size_t c = 0; c < n; c++) cT[(size_t)idx[c] * t + i] = cv[c];
    }
    for (size_t j = 0; j < t; j++) {
      if (!mask[j]) continue;
      size_t lo, hi;
      query_range(dm, j, &lo, &hi);
      for (size_t i = lo; i < hi; i++) {
        const double p = jb->probs_in[ph + i * t + j];
        pv[i - lo] = drop ? p * (double)drop[ph + i * t + j] : p;
      }
      comb_seq(dvc + j * d, pv, hi - lo, gc + lo * d, d); /* dv_j += P_ij M_ij g_i */
      comb_seq(dkc + j * d, cT + j * t + lo, hi - lo, qc + lo * d, d); /* dk_j += scale dS_ij q_i */
    }
    for (size_t i = 0; i < t; i++) {
      float *dst = jb->dq + (base + i) * width + h * d;
      for (size_t e = 0; e < d; e++) dst[e] = (float)dqc[i * d + e];
    }
  }
  for (size_t j = 0; j < t; j++) {
    float *dkr = jb->dk + (base + j) * kvw + kvo, *dvr = jb->dv + (base + j) * kvw + kvo;
    for (size_t e = 0; e < d; e++) {
      dkr[e] = (float)dkc[j * d + e];
      dvr[e] = (float)dvc[j * d + e];
    }
  }
}

static void bwd_task(void *ctx, size_t task, int worker) {
  const attn_job *jb = (const attn_job *)ctx;
  double *scratch = jb->scratch + (size_t)worker * jb->per;
  if (jb->by_head)
    for (size_t b = 0; b < jb->dm->batch; b++) bwd_block(jb, b, task, scratch);
  else
    bwd_block(jb, task / jb->dm->kv_heads, task % jb->dm->kv_heads, scratch);
}

int attn_backward(const float *q, const float *k, const float *v, const uint8_t *key_mask, const attn_dims *dims,
                  const float *probs, const float *g, const float *drop_mask, float *dq, float *dk, float *dv,
                  double *dbias, int threads) {
  const int by_head = dbias != NULL && !dims->bias_per_batch;
  const size_t ntasks = by_head ? dims->kv_heads : dims->batch * dims->kv_heads;
  const int workers = workers_for(dims, ntasks, threads);
  attn_job jb = {q, k, v, NULL, probs, g, drop_mask, key_mask, dims, NULL, NULL, dq, dk, dv, dbias, 0, NULL, 0, by_head};
  jb.scratch = alloc_scratch(dims, 1, workers, &jb.per);
  if (!jb.scratch) return -1;
  /* dq, dk and dv: every row stored whole by the blocks (the float64 sums rounded once) */
  if (dbias) memset(dbias, 0, (dims->bias_per_batch ? dims->batch : 1) * dims->heads * dims->t * dims->t * sizeof(double));
  pool_run(workers, ntasks, bwd_task, &jb);
  free(jb.scratch);
  return 0;
}
