/*
 * Micro-kernels and their run-time selection. Each computes, for every element of its tile,
 * c = fma(a[p], b[p], c) for p = 0 .. kc-1 in order: the AVX-512, AVX2 and generic versions give
 * bit-identical results (see gemm.h). The vector ones are compiled for their instruction set with
 * a function attribute, so the library itself targets baseline x86-64 and runs anywhere.
 */
#include "gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define GEMM_X86 1
#include <immintrin.h>
#endif

/* ---- generic: any CPU, fmaf keeps the single rounding per step ---- */

enum { G_MR = 4, G_NR = 16 };

static void ukr_generic(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int accumulate) {
  float acc[G_MR][G_NR];
  for (int i = 0; i < G_MR; i++)
    for (int j = 0; j < G_NR; j++) acc[i][j] = accumulate ? c[i * ldc + j] : 0.0f;
  for (int p = 0; p < kc; p++, ap += G_MR, bp += G_NR)
    for (int i = 0; i < G_MR; i++)
      for (int j = 0; j < G_NR; j++) acc[i][j] = fmaf(ap[i], bp[j], acc[i][j]);
  for (int i = 0; i < G_MR; i++) memcpy(c + i * ldc, acc[i], sizeof acc[i]);
}

/* Rows of b side by side: their cache lines stay in L1 while p advances; the panel is written in order. */
static void pack_bt_generic(const float *b, size_t ldb, size_t w, size_t kc, int nr, float *dst) {
  for (size_t p = 0; p < kc; p++) {
    float *row = dst + p * (size_t)nr;
    for (size_t jj = 0; jj < w; jj++) row[jj] = b[jj * ldb + p];
    for (size_t jj = w; jj < (size_t)nr; jj++) row[jj] = 0.0f;
  }
}

#ifdef GEMM_X86

/* 8 x 8 blocks transposed in registers (24 shuffles per 64 floats); edges as in the generic packer. */
__attribute__((target("avx2"))) static void pack_bt_avx2(const float *b, size_t ldb, size_t w, size_t kc, int nr, float *dst) {
  const size_t w8 = w & ~(size_t)7, kc8 = kc & ~(size_t)7;
  for (size_t j0 = 0; j0 < w8; j0 += 8) {
    const float *src = b + j0 * ldb;
    for (size_t p0 = 0; p0 < kc8; p0 += 8) {
      __m256 r0 = _mm256_loadu_ps(src + 0 * ldb + p0), r1 = _mm256_loadu_ps(src + 1 * ldb + p0);
      __m256 r2 = _mm256_loadu_ps(src + 2 * ldb + p0), r3 = _mm256_loadu_ps(src + 3 * ldb + p0);
      __m256 r4 = _mm256_loadu_ps(src + 4 * ldb + p0), r5 = _mm256_loadu_ps(src + 5 * ldb + p0);
      __m256 r6 = _mm256_loadu_ps(src + 6 * ldb + p0), r7 = _mm256_loadu_ps(src + 7 * ldb + p0);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float *out = dst + p0 * (size_t)nr + j0;
      _mm256_storeu_ps(out + 0 * (size_t)nr, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(out + 1 * (size_t)nr, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(out + 2 * (size_t)nr, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(out + 3 * (size_t)nr, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(out + 4 * (size_t)nr, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(out + 5 * (size_t)nr, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(out + 6 * (size_t)nr, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(out + 7 * (size_t)nr, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
    for (size_t p = kc8; p < kc; p++)
      for (size_t jj = j0; jj < j0 + 8; jj++) dst[p * (size_t)nr + jj] = b[jj * ldb + p];
  }
  for (size_t p = 0; p < kc; p++) {
    float *row = dst + p * (size_t)nr;
    for (size_t jj = w8; jj < w; jj++) row[jj] = b[jj * ldb + p];
    for (size_t jj = w; jj < (size_t)nr; jj++) row[jj] = 0.0f;
  }
}

/* ---- AVX2 + FMA: 6 x 16 tile, 12 ymm accumulators ---- */

#define ROW2(i)                                                  \
  {                                                              \
    const __m256 av = _mm256_broadcast_ss(ap + (i));             \
    c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0);                  \
    c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);                  \
  }
#define LOAD2(i)                                                                          \
  __m256 c##i##0 = accumulate ? _mm256_loadu_ps(c + (i) * ldc) : _mm256_setzero_ps();     \
  __m256 c##i##1 = accumulate ? _mm256_loadu_ps(c + (i) * ldc + 8) : _mm256_setzero_ps();
#define STORE2(i)                                \
  _mm256_storeu_ps(c + (i) * ldc, c##i##0);      \
  _mm256_storeu_ps(c + (i) * ldc + 8, c##i##1);

__attribute__((target("avx2,fma"))) static void ukr_avx2(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc,
                                                         int accumulate) {
  LOAD2(0) LOAD2(1) LOAD2(2) LOAD2(3) LOAD2(4) LOAD2(5)
  for (int p = 0; p < kc; p++, ap += 6, bp += 16) {
    const __m256 b0 = _mm256_loadu_ps(bp);
    const __m256 b1 = _mm256_loadu_ps(bp + 8);
    ROW2(0) ROW2(1) ROW2(2) ROW2(3) ROW2(4) ROW2(5)
  }
  STORE2(0) STORE2(1) STORE2(2) STORE2(3) STORE2(4) STORE2(5)
}

/* ---- AVX-512F: 12 x 32 tile, 24 zmm accumulators ---- */

#define ROW5(i)                                              \
  {                                                          \
    const __m512 av = _mm512_set1_ps(ap[i]);                 \
    c##i##0 = _mm512_fmadd_ps(av, b0, c##i##0);              \
    c##i##1 = _mm512_fmadd_ps(av, b1, c##i##1);              \
  }
#define LOAD5(i)                                                                          \
  __m512 c##i##0 = accumulate ? _mm512_loadu_ps(c + (i) * ldc) : _mm512_setzero_ps();     \
  __m512 c##i##1 = accumulate ? _mm512_loadu_ps(c + (i) * ldc + 16) : _mm512_setzero_ps();
#define STORE5(i)                                \
  _mm512_storeu_ps(c + (i) * ldc, c##i##0);      \
  _mm512_storeu_ps(c + (i) * ldc + 16, c##i##1);

__attribute__((target("avx512f"))) static void ukr_avx512(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc,
                                                          int accumulate) {
  LOAD5(0) LOAD5(1) LOAD5(2) LOAD5(3) LOAD5(4) LOAD5(5) LOAD5(6) LOAD5(7) LOAD5(8) LOAD5(9) LOAD5(10) LOAD5(11)
  for (int p = 0; p < kc; p++, ap += 12, bp += 32) {
    const __m512 b0 = _mm512_loadu_ps(bp);
    const __m512 b1 = _mm512_loadu_ps(bp + 16);
    ROW5(0) ROW5(1) ROW5(2) ROW5(3) ROW5(4) ROW5(5) ROW5(6) ROW5(7) ROW5(8) ROW5(9) ROW5(10) ROW5(11)
  }
  STORE5(0) STORE5(1) STORE5(2) STORE5(3) STORE5(4) STORE5(5) STORE5(6) STORE5(7) STORE5(8) STORE5(9) STORE5(10) STORE5(11)
}

#endif /* GEMM_X86 */

static const gemm_isa isa_generic = {"generic", G_MR, G_NR, ukr_generic, pack_bt_generic};
#ifdef GEMM_X86
static const gemm_isa isa_avx2 = {"avx2", 6, 16, ukr_avx2, pack_bt_avx2};
static const gemm_isa isa_avx512 = {"avx512", 12, 32, ukr_avx512, pack_bt_avx2};
#endif

const gemm_isa *gemm_select_isa(const char *force) {
#ifdef GEMM_X86
  __builtin_cpu_init();
  const int has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const int has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f");
  if (force && *force) {
    if (strcmp(force, "generic") == 0) return &isa_generic;
    if (strcmp(force, "avx2") == 0 && has_avx2) return &isa_avx2;
    if (strcmp(force, "avx512") == 0 && has_avx512) return &isa_avx512;
  }
  if (has_avx512) return &isa_avx512;
  if (has_avx2) return &isa_avx2;
#else
  (void)force;
#endif
  return &isa_generic;
}
