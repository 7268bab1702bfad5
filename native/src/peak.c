/*
 * The fp32 FMA peak of one core, measured: 12 independent vector accumulators (enough to cover the
 * FMA latency on two pipes: 4 cycles x 2 ports < 12), each iteration one fused multiply-add per
 * accumulator, timed for about `seconds`; the best of several timed rounds is returned in GFLOP/s
 * (2 FLOPs per lane per FMA). Benchmarks divide by this instead of assuming a clock and a datapath
 * width: a Zen 4 core double-pumps 512-bit FMAs, a Zen 5 or Sapphire Rapids core does not.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "peak.h"

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The accumulators converge to a fixed point (x = x * m + a with m < 1), so nothing overflows or goes subnormal. */
#define ROUNDS 20000

__attribute__((target("avx512f"))) static float run_avx512(long iterations) {
  __m512 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps(1.0f + (float)i * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-6f);
  for (long it = 0; it < iterations; it++) {
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float run_avx2(long iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps(1.0f + (float)i * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-6f);
  for (long it = 0; it < iterations; it++) {
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  float t = 0;
  for (int i = 0; i < 8; i++) t += lanes[i];
  return t;
}

volatile float sbert_peak_sink;

double sbert_fma_peak_gflops(const char *isa, double seconds) {
  int wide;
  if (strcmp(isa, "avx512") == 0) wide = 16;
  else if (strcmp(isa, "avx2") == 0) wide = 8;
  else return 0.0;
  double best = 0.0;
  const double end = now_seconds() + (seconds > 0 ? seconds : 0.2);
  do {
    const double t0 = now_seconds();
    sbert_peak_sink = wide == 16 ? run_avx512(ROUNDS) : run_avx2(ROUNDS);
    const double dt = now_seconds() - t0;
    const double flops = (double)ROUNDS * 12.0 * (double)wide * 2.0;
    if (dt > 0 && flops / dt > best) best = flops / dt;
  } while (now_seconds() < end);
  return best / 1e9;
}
