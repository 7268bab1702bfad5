/* See ops.h; the references are in src/tensor/op-kernels.ts. Built with -ffp-contract=off. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>

#include "fdlibm-exp.h"
#include "gelu-avx512.h"
#include "pool.h"

/*
 * Element loops compiled for AVX-512 and AVX2 too, picked at load time (GCC function multi-versioning
 * on Linux x86-64). Vector float64 + − · / √ round exactly as the scalar ones, and the build keeps
 * -ffp-contract=off (no fused multiply-add), so every version gives the same bits.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define OPS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OPS_CLONES
#endif

/* Elements per pool task of the elementwise kernels, and the least work worth a second thread. */
enum { CHUNK = 1 << 14, ROW_CHUNK = 16 };
#define PAR_MIN ((size_t)1 << 16)
#define LN_BWD_PAR_MIN ((size_t)1 << 19) /* elements */

static int threads_for(size_t work, int threads) { return work < PAR_MIN ? 1 : threads; }

/* math.ts erf: Numerical Recipes' Chebyshev fit of erfc, the same expression tree (and V8's exp). */
static inline double nr_erf(double x) {
  const double z = fabs(x);
  const double t = 1 / (1 + 0.5 * z);
  const double r =
      t * fdlibm_exp(-z * z - 1.26551223 +
              t * (1.00002368 +
                   t * (0.37409196 +
                        t * (0.09678418 +
                             t * (-0.18628806 +
                                  t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

static const double SQRT2 = 1.4142135623730951;              /* Math.SQRT2 */
static const double SQRT_2_OVER_PI = 0.7978845608028654;     /* Math.sqrt(2 / Math.PI) */
static const double SQRT_2PI = 2.5066282746310002;           /* Math.sqrt(2 * Math.PI) */

static inline double gelu(double x, int tanh_form) {
  if (tanh_form) return 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + nr_erf(x / SQRT2));
}

static inline double gelu_grad(double x, int tanh_form) {
  if (tanh_form) {
    const double t = tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
  }
  return 0.5 * (1 + nr_erf(x / SQRT2)) + (x * fdlibm_exp(-0.5 * x * x)) / SQRT_2PI;
}

typedef struct {
  const float *x, *g;
  float *out;
  size_t n;
  int tanh_form;
} gelu_job;

/* The erf form runs 8 values at a time with AVX-512 where the CPU has it (gelu-avx512.c: the same bits). */
static int gelu_vector = -1;

static void gelu_fwd_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const gelu_job *j = (const gelu_job *)ctx;
  const size_t begin = task * CHUNK, end = (task + 1) * CHUNK < j->n ? (task + 1) * CHUNK : j->n;
  size_t i = begin;
  if (!j->tanh_form && gelu_vector) i += gelu_erf_avx512(j->x + begin, NULL, j->out + begin, end - begin);
  for (; i < end; i++) j->out[i] = (float)gelu(j->x[i], j->tanh_form);
}

static void gelu_bwd_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const gelu_job *j = (const gelu_job *)ctx;
  const size_t begin = task * CHUNK, end = (task + 1) * CHUNK < j->n ? (task + 1) * CHUNK : j->n;
  size_t i = begin;
  if (!j->tanh_form && gelu_vector) i += gelu_erf_avx512(j->x + begin, j->g + begin, j->out + begin, end - begin);
  for (; i < end; i++) j->out[i] = (float)((double)j->g[i] * gelu_grad(j->x[i], j->tanh_form));
}

void ops_gelu_forward(const float *x, float *y, size_t n, int tanh_form, int threads) {
  if (gelu_vector < 0) gelu_vector = gelu_avx512_available() && !getenv("SBERT_OPS_SCALAR");
  gelu_job j = {x, NULL, y, n, tanh_form};
  pool_run(threads_for(n * 8, threads), (n + CHUNK - 1) / CHUNK, gelu_fwd_task, &j);
}

void ops_gelu_backward(const float *x, const float *g, float *dx, size_t n, int tanh_form, int threads) {
  if (gelu_vector < 0) gelu_vector = gelu_avx512_available() && !getenv("SBERT_OPS_SCALAR");
  gelu_job j = {x, g, dx, n, tanh_form};
  pool_run(threads_for(n * 8, threads), (n + CHUNK - 1) / CHUNK, gelu_bwd_task, &j);
}

/* op-kernels.ts laneTotal: term i into lane i mod 8, lanes combined in a fixed tree (so the sums vectorize) */
static inline double lane_total(const double s[8]) { return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); }

/* layer-norm rowStats: mean and 1/sqrt(var + eps), biased variance, float64 sums in lane order */
OPS_CLONES static void row_stats(const float *x, size_t c, double eps, double *mean_out, double *inv_out) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= c; i += 8)
    for (int l = 0; l < 8; l++) s[l] += x[i + (size_t)l];
  for (int l = 0; i < c; i++, l++) s[l] += x[i];
  const double mean = lane_total(s) / (double)c;
  double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (i = 0; i + 8 <= c; i += 8)
    for (int l = 0; l < 8; l++) {
      const double d = x[i + (size_t)l] - mean;
      v[l] += d * d;
    }
  for (int l = 0; i < c; i++, l++) {
    const double d = x[i] - mean;
    v[l] += d * d;
  }
  *mean_out = mean;
  *inv_out = 1 / sqrt(lane_total(v) / (double)c + eps);
}

typedef struct {
  const float *x, *gamma, *beta, *dy;
  float *y;
  double *mean, *inv, *dg, *db;
  size_t rows, c;
  double eps;
} ln_job;

static void ln_fwd_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const ln_job *j = (const ln_job *)ctx;
  const size_t c = j->c, end = (task + 1) * ROW_CHUNK < j->rows ? (task + 1) * ROW_CHUNK : j->rows;
  for (size_t r = task * ROW_CHUNK; r < end; r++) {
    const float *x = j->x + r * c;
    float *y = j->y + r * c;
    double mean, inv;
    row_stats(x, c, j->eps, &mean, &inv);
    for (size_t i = 0; i < c; i++) y[i] = (float)((x[i] - mean) * inv * j->gamma[i] + j->beta[i]);
  }
}

void ops_layer_norm_forward(const float *x, const float *gamma, const float *beta, float *y, size_t rows, size_t c,
                            double eps, int threads) {
  ln_job j = {x, gamma, beta, NULL, y, NULL, NULL, NULL, NULL, rows, c, eps};
  pool_run(threads_for(rows * c * 4, threads), (rows + ROW_CHUNK - 1) / ROW_CHUNK, ln_fwd_task, &j);
}

/* a row's dy·x̂ and dy added into the chunk's column sums */
OPS_CLONES static void ln_column_sums(const float *x, const float *dy, size_t c, double mean, double inv, double *restrict cdg,
                                      double *restrict cdb) {
  for (size_t i = 0; i < c; i++) {
    const double d = dy[i];
    cdg[i] += d * ((x[i] - mean) * inv);
    cdb[i] += d;
  }
}

/* Σ dx̂ and Σ dx̂·x̂ of one row, in lanes */
OPS_CLONES static void ln_grad_sums(const float *x, const float *dy, const float *gamma, size_t c, double mean, double inv,
                                    double sd[8], double sdx[8]) {
  for (int l = 0; l < 8; l++) sd[l] = sdx[l] = 0;
  size_t i = 0;
  for (; i + 8 <= c; i += 8)
    for (int l = 0; l < 8; l++) {
      const size_t k = i + (size_t)l;
      const double xh = (x[k] - mean) * inv;
      const double dh = (double)dy[k] * gamma[k];
      sd[l] += dh;
      sdx[l] += dh * xh;
    }
  for (int l = 0; i < c; i++, l++) {
    const double xh = (x[i] - mean) * inv;
    const double dh = (double)dy[i] * gamma[i];
    sd[l] += dh;
    sdx[l] += dh * xh;
  }
}

/*
 * By chunks of ROW_CHUNK rows: each row's statistics and dx (y holds dx, may be NULL), and the
 * chunk's own sums of dy·x̂ and dy per column (rows in order) into its slice of `part`; the chunks'
 * sums are added in chunk order afterwards (op-kernels.ts: the same order).
 */
static void ln_bwd_rows_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const ln_job *j = (const ln_job *)ctx;
  const size_t c = j->c, end = (task + 1) * ROW_CHUNK < j->rows ? (task + 1) * ROW_CHUNK : j->rows;
  double *cdg = j->mean + task * 2 * c, *cdb = cdg + c; /* `mean` holds the chunks' partial sums here */
  for (size_t i = 0; i < c; i++) cdg[i] = cdb[i] = 0;
  for (size_t r = task * ROW_CHUNK; r < end; r++) {
    const float *x = j->x + r * c, *dy = j->dy + r * c;
    double mean, inv;
    row_stats(x, c, j->eps, &mean, &inv);
    ln_column_sums(x, dy, c, mean, inv, cdg, cdb);
    if (!j->y) continue;
    double sd[8], sdx[8];
    ln_grad_sums(x, dy, j->gamma, c, mean, inv, sd, sdx);
    const double m_d = lane_total(sd) / (double)c, m_dx = lane_total(sdx) / (double)c;
    float *dx = j->y + r * c;
    for (size_t i = 0; i < c; i++) {
      const double xh = (x[i] - mean) * inv;
      const double dh = (double)dy[i] * j->gamma[i];
      dx[i] = (float)(inv * (dh - m_d - xh * m_dx));
    }
  }
}

void ops_layer_norm_backward(const float *x, const float *gamma, const float *dy, float *dx, double *dgamma,
                             double *dbeta, size_t rows, size_t c, double eps, int threads) {
  const size_t chunks = (rows + ROW_CHUNK - 1) / ROW_CHUNK;
  double *part = (double *)malloc((chunks ? chunks : 1) * 2 * c * sizeof(double) + sizeof(double));
  if (!part) abort();
  ln_job j = {x, gamma, NULL, dy, dx, part, NULL, dgamma, dbeta, rows, c, eps};
  /* a second thread only for large inputs: at MiniLM's 310 × 384 per call it made the training step's
   * LayerNorm backward slower (15 ms/step against 11 on one thread, bench/train.ts --kernel-times) */
  pool_run(rows * c >= LN_BWD_PAR_MIN ? threads : 1, chunks, ln_bwd_rows_task, &j);
  for (size_t i = 0; i < c; i++) dgamma[i] = dbeta[i] = 0;
  for (size_t t = 0; t < chunks; t++) {
    const double *cdg = part + t * 2 * c, *cdb = cdg + c;
    for (size_t i = 0; i < c; i++) {
      dgamma[i] += cdg[i];
      dbeta[i] += cdb[i];
    }
  }
  free(part);
}

void ops_embedding_scatter_add(float *dst, const float *g, const int32_t *ids, size_t count, size_t c) {
  for (size_t i = 0; i < count; i++) {
    float *row = dst + (size_t)ids[i] * c;
    const float *src = g + i * c;
    for (size_t j = 0; j < c; j++) row[j] = (float)((double)row[j] + (double)src[j]);
  }
}

typedef struct {
  float *w, *m, *v;
  const float *g;
  size_t n;
  const ops_adamw_hyper *h;
} adamw_job;

OPS_CLONES static void adamw_range(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                                   size_t n, const ops_adamw_hyper h) {
  for (size_t i = 0; i < n; i++) {
    const double gi = g[i];
    const double mi = (double)m[i] + (1 - h.beta1) * (gi - (double)m[i]);
    const double vi = h.beta2 * (double)v[i] + (1 - h.beta2) * gi * gi;
    const float m32 = (float)mi, v32 = (float)vi; /* stored, then used as stored (as the reference reads m[i], v[i] back) */
    m[i] = m32;
    v[i] = v32;
    const double decayed = (float)((double)w[i] * h.decay);
    w[i] = (float)(decayed - (h.step_size * (double)m32) / (sqrt((double)v32) / h.bc2_sqrt + h.eps));
  }
}

static void adamw_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const adamw_job *j = (const adamw_job *)ctx;
  const size_t begin = task * CHUNK, end = (task + 1) * CHUNK < j->n ? (task + 1) * CHUNK : j->n;
  adamw_range(j->w + begin, j->g + begin, j->m + begin, j->v + begin, end - begin, *j->h);
}

void ops_adamw(float *w, const float *g, float *m, float *v, size_t n, const ops_adamw_hyper *h, int threads) {
  adamw_job j = {w, m, v, g, n, h};
  pool_run(threads_for(n, threads), (n + CHUNK - 1) / CHUNK, adamw_task, &j);
}

/* eight interleaved float64 sums (element i into lane i mod 8; the square of a float32 is exact), then a fixed tree */
OPS_CLONES double ops_sum_squares(const float *x, size_t n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) {
      const double a = x[i + (size_t)l];
      s[l] += a * a;
    }
  for (int l = 0; i < n; i++, l++) {
    const double a = x[i];
    s[l] += a * a;
  }
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

typedef struct {
  float *x;
  size_t n;
  double s;
} scale_job;

OPS_CLONES static void scale_range(float *restrict x, size_t n, double s) {
  for (size_t i = 0; i < n; i++) x[i] = (float)((double)x[i] * s);
}

static void scale_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const scale_job *j = (const scale_job *)ctx;
  const size_t begin = task * CHUNK, end = (task + 1) * CHUNK < j->n ? (task + 1) * CHUNK : j->n;
  scale_range(j->x + begin, end - begin, j->s);
}

void ops_scale(float *x, size_t n, double s, int threads) {
  scale_job j = {x, n, s};
  pool_run(threads_for(n, threads), (n + CHUNK - 1) / CHUNK, scale_task, &j);
}

static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

void ops_dropout_mask(uint32_t state[4], float *mask, size_t n, double p, float keep) {
  uint32_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  for (size_t i = 0; i < n; i++) {
    const uint32_t result = rotl32(s1 * 5u, 7) * 9u;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl32(s3, 11);
    mask[i] = (double)result / 4294967296.0 < p ? 0.0f : keep;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

typedef struct {
  float *dst;
  const float *src;
  size_t n;
} add_job;

OPS_CLONES static void add_range(float *restrict dst, const float *restrict src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = dst[i] + src[i]; /* a float32 sum is the float64 sum rounded once */
}

static void add_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const add_job *j = (const add_job *)ctx;
  const size_t begin = task * CHUNK, end = (task + 1) * CHUNK < j->n ? (task + 1) * CHUNK : j->n;
  add_range(j->dst + begin, j->src + begin, end - begin);
}

void ops_add_into(float *dst, const float *src, size_t n, int threads) {
  add_job j = {dst, src, n};
  pool_run(threads_for(n, threads), (n + CHUNK - 1) / CHUNK, add_task, &j);
}

typedef struct {
  const float *a, *b;
  float *out;
  size_t n;
  int mul;
} binary_job;

/* float32 + and · are the float64 results rounded once, as the references compute them (no restrict: out may be a or b) */
OPS_CLONES static void add_range2(const float *a, const float *b, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

OPS_CLONES static void mul_range(const float *a, const float *b, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

static void binary_task(void *ctx, size_t task, int worker) {
  (void)worker;
  const binary_job *j = (const binary_job *)ctx;
  const size_t begin = task * CHUNK, end = (task + 1) * CHUNK < j->n ? (task + 1) * CHUNK : j->n;
  (j->mul ? mul_range : add_range2)(j->a + begin, j->b + begin, j->out + begin, end - begin);
}

void ops_binary(const float *a, const float *b, float *out, size_t n, int mul, int threads) {
  binary_job j = {a, b, out, n, mul};
  pool_run(threads_for(n, threads), (n + CHUNK - 1) / CHUNK, binary_task, &j);
}

/* in 32 x 32 blocks, so both sides stay in cache */
void ops_transpose(const float *data, size_t rows, size_t cols, float *out) {
  enum { B = 32 };
  for (size_t r0 = 0; r0 < rows; r0 += B)
    for (size_t c0 = 0; c0 < cols; c0 += B) {
      const size_t r1 = r0 + B < rows ? r0 + B : rows, c1 = c0 + B < cols ? c0 + B : cols;
      for (size_t r = r0; r < r1; r++)
        for (size_t c = c0; c < c1; c++) out[c * rows + r] = data[r * cols + c];
    }
}

OPS_CLONES void ops_column_sums(const float *g, size_t rows, size_t cols, double *out) {
  for (size_t j = 0; j < cols; j++) out[j] = 0;
  for (size_t r = 0; r < rows; r++) {
    const float *row = g + r * cols;
    for (size_t j = 0; j < cols; j++) out[j] += row[j];
  }
}

double ops_softmax_cross_entropy(const float *x, size_t n, size_t c, const int32_t *labels, const uint8_t *excluded,
                                 double *probs) {
  double total = 0;
  for (size_t r = 0; r < n; r++) {
    const size_t o = r * c;
    double max = -INFINITY;
    for (size_t j = o; j < o + c; j++)
      if (!(excluded && excluded[j]) && x[j] > max) max = x[j];
    double z = 0;
    for (size_t j = o; j < o + c; j++) {
      if (excluded && excluded[j]) continue;
      const double e = exp(x[j] - max);
      probs[j] = e;
      z += e;
    }
    for (size_t j = o; j < o + c; j++)
      if (!(excluded && excluded[j])) probs[j] = probs[j] / z;
    total += max + log(z) - x[o + (size_t)labels[r]];
  }
  return total;
}
