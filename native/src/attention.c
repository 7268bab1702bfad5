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

static inline void axpy_f(double *restrict y, double a, const float *restrict x, size_t n) {
  for (size_t e = 0; e < n; e++) y[e] += a * (double)x[e];
}

static inline void axpy_d(double *restrict y, double a, const double *restrict x, size_t n) {
  for (size_t e = 0; e < n; e++) y[e] += a * x[e];
}

/* acc[j] = sum over e in order of x[e] * rows[e][j] for j in [lo, hi) (rows: n x t, row-major). */
static inline void dot_rows(double *restrict acc, const double *restrict x, const double *restrict rows, size_t n,
                            size_t t, size_t lo, size_t hi) {
  for (size_t j = lo; j < hi; j++) acc[j] = 0;
  for (size_t e = 0; e < n; e++) {
    const double xe = x[e];
    const double *restrict r = rows + e * t;
    for (size_t j = lo; j < hi; j++) acc[j] += xe * r[j];
  }
}

/* dst (d x t) = the kv head's rows of src (t rows of `stride` floats, from column `col`) transposed. */
static void transpose_head(double *restrict dst, const float *restrict src, size_t t, size_t d, size_t stride) {
  for (size_t j = 0; j < t; j++) {
    const float *row = src + j * stride;
    for (size_t e = 0; e < d; e++) dst[e * t + j] = row[e];
  }
}

/* Doubles of one worker's scratch: a d x t block, a t-vector and two d-vectors, rounded to 64 bytes. */
static size_t scratch_per_worker(const attn_dims *dm) { return (dm->d * dm->t + dm->t + 2 * dm->d + 7) & ~(size_t)7; }

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
  double *dq, *dk, *dv, *dbias;
  double keep; /* 1 / (1 - p), the factor the reference multiplies by (its mask stores it rounded) */
  double *scratch;
  size_t per;
  int by_head; /* backward: one task per kv head, the batch rows in order inside */
} attn_job;

ATTN_CLONES static void fwd_task(void *ctx, size_t task, int worker) {
  const attn_job *jb = (const attn_job *)ctx;
  const attn_dims *dm = jb->dm;
  const size_t t = dm->t, d = dm->d, heads = dm->heads, kvh = dm->kv_heads, group = heads / kvh;
  const size_t width = heads * d, kvw = kvh * d, b = task / kvh, kv = task % kvh, base = b * t, kvo = kv * d;
  double *kT = jb->scratch + (size_t)worker * jb->per, *s = kT + d * t, *acc = s + t, *qd = acc + d;
  transpose_head(kT, jb->k + base * kvw + kvo, t, d, kvw);
  const uint8_t *mask = jb->mask + base;
  for (size_t h = kv * group; h < (kv + 1) * group; h++) {
    const size_t bo = ((dm->bias_per_batch ? b * heads : 0) + h) * t * t;
    for (size_t i = 0; i < t; i++) {
      const size_t qo = (base + i) * width + h * d, po = ((b * heads + h) * t + i) * t;
      size_t lo, hi;
      key_range(dm, i, &lo, &hi);
      for (size_t e = 0; e < d; e++) qd[e] = jb->q[qo + e];
      dot_rows(s, qd, kT, d, t, lo, hi);
      double max = -INFINITY;
      for (size_t j = lo; j < hi; j++) {
        if (!mask[j]) continue;
        double sc = (float)(s[j] * dm->scale);
        if (jb->bias) sc += jb->bias[bo + i * t + j];
        s[j] = sc;
        if (sc > max) max = sc;
      }
      double sum = 0;
      for (size_t j = lo; j < hi; j++) {
        if (!mask[j]) continue;
        const double e = exp(s[j] - max);
        s[j] = e;
        sum += e;
      }
      for (size_t e = 0; e < d; e++) acc[e] = 0;
      for (size_t j = lo; j < hi; j++) {
        if (!mask[j]) continue;
        double p = s[j] / sum;
        if (jb->probs) jb->probs[po + j] = (float)p;
        if (jb->drop) p *= jb->drop[po + j] != 0 ? jb->keep : 0.0;
        axpy_f(acc, p, jb->v + (base + j) * kvw + kvo, d);
      }
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

static double *alloc_scratch(const attn_dims *dm, int workers, size_t *per) {
  *per = scratch_per_worker(dm);
  return (double *)malloc(((size_t)workers * *per + 1) * sizeof(double));
}

int attn_forward(const float *q, const float *k, const float *v, const uint8_t *key_mask, const float *bias,
                 const attn_dims *dims, float *out, float *probs, float *drop_mask, uint32_t rng_state[4], double p,
                 int threads) {
  const size_t ntasks = dims->batch * dims->kv_heads;
  const int workers = workers_for(dims, ntasks, threads);
  attn_job jb = {q, k, v, bias, NULL, NULL, drop_mask, key_mask, dims, out, probs, NULL, NULL, NULL, NULL,
                 1 / (1 - p), NULL, 0, 0};
  jb.scratch = alloc_scratch(dims, workers, &jb.per);
  if (!jb.scratch) return -1;
  if (drop_mask) draw_mask(dims, key_mask, drop_mask, rng_state, p);
  pool_run(workers, ntasks, fwd_task, &jb);
  free(jb.scratch);
  return 0;
}

/* One (batch row, kv head): the heads of its group, the queries in order. */
ATTN_CLONES static void bwd_block(const attn_job *jb, size_t b, size_t kv, double *scratch) {
  const attn_dims *dm = jb->dm;
  const size_t t = dm->t, d = dm->d, heads = dm->heads, kvh = dm->kv_heads, group = heads / kvh;
  const size_t width = heads * d, kvw = kvh * d, base = b * t, kvo = kv * d;
  double *vT = scratch, *ds = vT + d * t, *gd = ds + t, *qd = gd + d;
  transpose_head(vT, jb->v + base * kvw + kvo, t, d, kvw);
  const uint8_t *mask = jb->mask + base;
  const float *drop = jb->drop;
  for (size_t h = kv * group; h < (kv + 1) * group; h++) {
    const size_t bo = ((dm->bias_per_batch ? b * heads : 0) + h) * t * t;
    for (size_t i = 0; i < t; i++) {
      const size_t qo = (base + i) * width + h * d, po = ((b * heads + h) * t + i) * t;
      const float *pr = jb->probs_in + po;
      size_t lo, hi;
      key_range(dm, i, &lo, &hi);
      for (size_t e = 0; e < d; e++) {
        gd[e] = jb->g[qo + e];
        qd[e] = jb->q[qo + e];
      }
      dot_rows(ds, gd, vT, d, t, lo, hi); /* dP_ij = g_i . v_j */
      double sum_pdp = 0;
      for (size_t j = lo; j < hi; j++) {
        if (!mask[j]) continue;
        const double pj = pr[j];
        const double m = drop ? (double)drop[po + j] : 1.0;
        axpy_d(jb->dv + (base + j) * kvw + kvo, pj * m, gd, d);
        if (drop) ds[j] *= m;
        sum_pdp += pj * ds[j];
      }
      double *dqr = jb->dq + qo;
      for (size_t j = lo; j < hi; j++) {
        if (!mask[j]) continue;
        const double dsj = (double)pr[j] * (ds[j] - sum_pdp);
        if (jb->dbias) jb->dbias[bo + i * t + j] += dsj;
        const double c = dsj * dm->scale;
        const size_t ko = (base + j) * kvw + kvo;
        axpy_f(dqr, c, jb->k + ko, d);
        axpy_d(jb->dk + ko, c, qd, d);
      }
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
                  const float *probs, const float *g, const float *drop_mask, double *dq, double *dk, double *dv,
                  double *dbias, int threads) {
  const int by_head = dbias != NULL && !dims->bias_per_batch;
  const size_t ntasks = by_head ? dims->kv_heads : dims->batch * dims->kv_heads;
  const int workers = workers_for(dims, ntasks, threads);
  attn_job jb = {q, k, v, NULL, probs, g, drop_mask, key_mask, dims, NULL, NULL, dq, dk, dv, dbias, 0, NULL, 0, by_head};
  jb.scratch = alloc_scratch(dims, workers, &jb.per);
  if (!jb.scratch) return -1;
  const size_t rows = dims->batch * dims->t;
  memset(dq, 0, rows * dims->heads * dims->d * sizeof(double));
  memset(dk, 0, rows * dims->kv_heads * dims->d * sizeof(double));
  memset(dv, 0, rows * dims->kv_heads * dims->d * sizeof(double));
  if (dbias) memset(dbias, 0, (dims->bias_per_batch ? dims->batch : 1) * dims->heads * dims->t * dims->t * sizeof(double));
  pool_run(workers, ntasks, bwd_task, &jb);
  free(jb.scratch);
  return 0;
}
