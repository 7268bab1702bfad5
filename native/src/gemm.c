/*
 * Blocked driver (the BLIS loop nest, with the roles of A and B swapped for row-major C):
 *
 *   for jc in N by nc:
 *     for pc in K by kc:
 *       pack B[pc:pc+kc, jc:jc+nc] into NR-wide panels [p][NR]   (the B block, reused M/MR times)
 *       for ir in M by MR:
 *         pack A[ir:ir+MR, pc:pc+kc] into [p][MR]                 (the A micro-panel, reused nc/NR times)
 *         for jr in nc by NR:           micro-kernel on the MR x NR tile of C
 *
 * Edges are zero-padded in the packed panels and computed through a scratch tile, so the arithmetic
 * of every element is the same FMA chain wherever it lies (see gemm.h).
 */
#include "gemm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

/*
 * Block sizes (floats), tuned on Zen 4 (1 MiB L2): K is cut into equal blocks of at most KC_MAX,
 * and the packed B block holds about B_BLOCK floats (kc x nc), so nc = B_BLOCK / kc, at least NC_MIN.
 * Deep products keep their whole reduction in one block (no reload of C), wide ones get a wide nc.
 */
#ifndef GEMM_KC_MAX
#define GEMM_KC_MAX 1536
#endif
#ifndef GEMM_B_BLOCK
#define GEMM_B_BLOCK (384 * 1536)
#endif
enum { KC_MAX = GEMM_KC_MAX, B_BLOCK = GEMM_B_BLOCK, NC_MIN = 256, MAX_MR = 16, MAX_NR = 64 };

static float *grow(float **buf, void **raw, size_t *cap, size_t need) {
  if (*cap >= need) return *buf;
  free(*raw);
  *raw = malloc(need * sizeof(float) + 64);
  if (!*raw) {
    *buf = NULL;
    *cap = 0;
    return NULL;
  }
  *buf = (float *)(((uintptr_t)*raw + 63) & ~(uintptr_t)63);
  *cap = need;
  return *buf;
}

void gemm_workspace_free(gemm_workspace *ws) {
  free(ws->bpack_raw);
  free(ws->apack_raw);
  memset(ws, 0, sizeof *ws);
}

/*
 * n floats; the panel widths (the micro-kernels' MR and NR) as constant-size copies, which the
 * compiler inlines: the packing loops copy one short row per p, and a library memcpy call per
 * 48- or 128-byte row was 4% of a training step.
 */
static inline void copy_floats(float *dst, const float *src, size_t n) {
  switch (n) {
    case 32: memcpy(dst, src, 32 * sizeof(float)); return;
    case 16: memcpy(dst, src, 16 * sizeof(float)); return;
    case 12: memcpy(dst, src, 12 * sizeof(float)); return;
    case 6: memcpy(dst, src, 6 * sizeof(float)); return;
    default: memcpy(dst, src, n * sizeof(float));
  }
}

/* B rows pc..pc+kc, columns jc..jc+nc → panels of nr columns, [panel][p][nr], zero-padded. */
static void pack_b(const gemm_isa *isa, int nt, const float *b, size_t k, size_t n, size_t pc, size_t kc, size_t jc, size_t nc,
                   float *dst) {
  const size_t nr = (size_t)isa->nr;
  for (size_t j0 = 0; j0 < nc; j0 += nr) {
    const size_t w = nc - j0 < nr ? nc - j0 : nr;
    float *panel = dst + j0 * kc;
    if (nt) {
      /* b is (n x k): column j of op(B) is row j of b */
      isa->pack_bt(b + (jc + j0) * k + pc, k, w, kc, isa->nr, panel);
    } else {
      /* b is (k x n): row p of b holds the panel's row p contiguously */
      for (size_t p = 0; p < kc; p++) {
        const float *src = b + (pc + p) * n + jc + j0;
        float *row = panel + p * nr;
        copy_floats(row, src, w);
        for (size_t jj = w; jj < nr; jj++) row[jj] = 0.0f;
      }
    }
  }
}

/* A rows ir..ir+h (h <= mr), columns pc..pc+kc → [p][mr], zero-padded; `at`: a is stored (k x m). */
static void pack_a(const float *a, int at, size_t m, size_t k, size_t ir, size_t h, size_t pc, size_t kc, int mr, float *dst) {
  if (at) {
    for (size_t p = 0; p < kc; p++) {
      const float *src = a + (pc + p) * m + ir;
      float *row = dst + p * (size_t)mr;
      copy_floats(row, src, h);
      for (size_t ii = h; ii < (size_t)mr; ii++) row[ii] = 0.0f;
    }
    return;
  }
  for (size_t ii = 0; ii < h; ii++) {
    const float *src = a + (ir + ii) * k + pc;
    for (size_t p = 0; p < kc; p++) dst[p * (size_t)mr + ii] = src[p];
  }
  for (size_t ii = h; ii < (size_t)mr; ii++)
    for (size_t p = 0; p < kc; p++) dst[p * (size_t)mr + ii] = 0.0f;
}

typedef struct {
  const gemm_isa *isa;
  int nt, at;
  size_t m, k, n;
  const float *a, *b;
  float *c;
  const float *bias;
} gemm_args;

/* Computes columns [j_begin, j_end) of C (j_begin a multiple of nr). */
static int gemm_columns(const gemm_args *g, gemm_workspace *ws, size_t j_begin, size_t j_end) {
  const int mr = g->isa->mr, nr = g->isa->nr;
  const size_t k = g->k, n = g->n, m = g->m;
  const size_t k_blocks = k == 0 ? 1 : (k + KC_MAX - 1) / KC_MAX;
  const size_t kc_max = k == 0 ? 1 : (k + k_blocks - 1) / k_blocks;
  size_t nc_max = B_BLOCK / kc_max;
  if (nc_max < NC_MIN) nc_max = NC_MIN;
  if (nc_max > j_end - j_begin) nc_max = j_end - j_begin;
  nc_max = ((nc_max + (size_t)nr - 1) / (size_t)nr) * (size_t)nr;
  float *bp = grow(&ws->bpack, &ws->bpack_raw, &ws->bcap, kc_max * nc_max);
  float *ap = grow(&ws->apack, &ws->apack_raw, &ws->acap, kc_max * (size_t)mr);
  if (!bp || !ap) return -1;
  float tile[MAX_MR * MAX_NR];

  for (size_t jc = j_begin; jc < j_end; jc += nc_max) {
    const size_t nc = j_end - jc < nc_max ? j_end - jc : nc_max;
    for (size_t pc = 0; pc < k; pc += kc_max) {
      const size_t kc = k - pc < kc_max ? k - pc : kc_max;
      const int acc = pc > 0;
      pack_b(g->isa, g->nt, g->b, k, n, pc, kc, jc, nc, bp);
      for (size_t ir = 0; ir < m; ir += (size_t)mr) {
        const size_t h = m - ir < (size_t)mr ? m - ir : (size_t)mr;
        pack_a(g->a, g->at, m, k, ir, h, pc, kc, mr, ap);
        for (size_t j0 = 0; j0 < nc; j0 += (size_t)nr) {
          const size_t w = nc - j0 < (size_t)nr ? nc - j0 : (size_t)nr;
          float *c = g->c + ir * n + jc + j0;
          const float *bpanel = bp + j0 * kc;
          if (h == (size_t)mr && w == (size_t)nr) {
            g->isa->ukr((int)kc, ap, bpanel, c, (ptrdiff_t)n, acc);
          } else {
            if (acc)
              for (size_t ii = 0; ii < h; ii++) copy_floats(tile + ii * (size_t)nr, c + ii * n, w);
            g->isa->ukr((int)kc, ap, bpanel, tile, nr, acc);
            for (size_t ii = 0; ii < h; ii++) copy_floats(c + ii * n, tile + ii * (size_t)nr, w);
          }
        }
      }
    }
  }
  if (k == 0)
    for (size_t i = 0; i < m; i++) memset(g->c + i * n + j_begin, 0, (j_end - j_begin) * sizeof(float));
  if (g->bias)
    for (size_t i = 0; i < m; i++) {
      float *row = g->c + i * n;
      for (size_t j = j_begin; j < j_end; j++) row[j] += g->bias[j];
    }
  return 0;
}

/* One pool task: a share of the columns, with the worker's own packing workspace. */
typedef struct {
  const gemm_args *g;
  gemm_workspace *caller_ws;
  size_t panels, shares, nr;
  int status[POOL_MAX_THREADS];
} gemm_job;

/* Workspaces of the pool's workers 1.. (worker 0 is the caller, with its own); pool_run runs one job at a time. */
static gemm_workspace worker_ws[POOL_MAX_THREADS];

static void gemm_task(void *ctx, size_t task, int worker) {
  gemm_job *job = (gemm_job *)ctx;
  const size_t j_begin = (job->panels * task / job->shares) * job->nr;
  const size_t j_end = task + 1 == job->shares ? job->g->n : (job->panels * (task + 1) / job->shares) * job->nr;
  gemm_workspace *ws = worker == 0 ? job->caller_ws : &worker_ws[worker];
  if (j_end > j_begin && gemm_columns(job->g, ws, j_begin, j_end) != 0) job->status[worker] = -1;
}

/* Below this many multiply-adds a second thread costs more than it saves. */
#define GEMM_THREAD_MIN_WORK ((size_t)1 << 22)
enum { GEMM_MAX_THREADS = POOL_MAX_THREADS };

int gemm_sgemm(gemm_workspace *ws, const gemm_isa *isa, int layout, size_t m, size_t k, size_t n,
               const float *a, const float *b, float *c, const float *bias, int threads) {
  if (m == 0 || n == 0) return 0;
  gemm_args g = {isa, (layout & GEMM_B_T) != 0, (layout & GEMM_A_T) != 0, m, k, n, a, b, c, bias};
  const size_t nr = (size_t)isa->nr;
  const size_t panels = (n + nr - 1) / nr;
  size_t t = threads > 1 ? (size_t)threads : 1;
  if (t > GEMM_MAX_THREADS) t = GEMM_MAX_THREADS;
  if (t > panels) t = panels;
  if (m * k * n < GEMM_THREAD_MIN_WORK * t) t = (m * k * n) / GEMM_THREAD_MIN_WORK > 0 ? (m * k * n) / GEMM_THREAD_MIN_WORK : 1;
  if (t > 1) {
    /* columns in whole NR panels, as evenly as possible, one share per thread */
    gemm_job job = {&g, ws, panels, t, nr, {0}};
    pool_run((int)t, t, gemm_task, &job);
    for (size_t i = 0; i < POOL_MAX_THREADS; i++)
      if (job.status[i] != 0) return -1;
    return 0;
  }
  return gemm_columns(&g, ws, 0, n);
}
