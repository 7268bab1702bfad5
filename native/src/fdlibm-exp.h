/*
 * exp(x) as fdlibm's e_exp.c computes it, written without branches or library calls so that the
 * element loops around it vectorize (8 lanes with AVX-512). V8's Math.exp is the same fdlibm
 * routine (v8/src/base/ieee754.cc, `exp`), so the native kernels and their TypeScript references
 * (src/tensor/op-kernels.ts, math.ts) get the same bits: the constants, the reduction
 * x = k·ln2 + r (k = trunc(x/ln2 ± 1/2); k = ±1 directly for 0.5·ln2 < |x| < 1.5·ln2), the
 * rational approximation and the exponent scaling are fdlibm's, and so are the bounds between the
 * reductions (fdlibm compares the high 32 bits: |x| ≥ 0x3FD62E43'00000000 for k ≠ 0, below
 * 0x3FF0A2B2'00000000 for k = ±1). fdlibm returns 1 + x directly for |x| < 2⁻²⁸; the polynomial
 * here gives 1 + x + x²/2 there, which rounds to the same double.
 *
 * Source: fdlibm 5.3 e_exp.c (Sun Microsystems, 1993; freely distributable), as in V8.
 */
#ifndef SBERT_FDLIBM_EXP_H
#define SBERT_FDLIBM_EXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline double fdlibm_exp(double x) {
  const double o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02;
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const double invln2 = 1.44269504088896338700e+00;
  const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
               P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  const double twom1000 = 9.33263618503218878990e-302; /* 2**-1000 */
  const double ax = x < 0 ? -x : x;
  const double xr = ax <= 750 ? x : 0.0; /* keeps the conversion in range (NaN too); the result is replaced below */
  const double axr = xr < 0 ? -xr : xr;
  /* argument reduction: k = 0 below 0.5·ln2, ±1 below 1.5·ln2, else trunc(invln2·x ± 0.5) */
  const double kr = (double)(int32_t)(invln2 * xr + (xr < 0 ? -0.5 : 0.5));
  const double k = axr < 0.3465735912322998 ? 0.0 : axr < 1.0397205352783203 ? (xr < 0 ? -1.0 : 1.0) : kr;
  const double hi = xr - k * ln2hi, lo = k * ln2lo;
  const double r = hi - lo;
  const double t = r * r;
  const double c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  /* fdlibm: k = 0 → 1 − ((r·c)/(c − 2) − r), else 1 − ((lo − (r·c)/(2 − c)) − hi); with k = 0 (hi = r,
   * lo = 0) the second is the first, since (r·c)/(c − 2) = −(r·c)/(2 − c) exactly: one formula, no branch */
  const double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  /* y · 2^k by adding k to the exponent; below k = −1021 through 2^(k+1000) · 2^−1000, as fdlibm */
  const int64_t ki = (int64_t)k;
  const int low = ki < -1021;
  uint64_t bits;
  memcpy(&bits, &y, sizeof bits);
  bits += (uint64_t)(ki + (low ? 1000 : 0)) << 52;
  double scaled;
  memcpy(&scaled, &bits, sizeof scaled);
  scaled = low ? scaled * twom1000 : scaled;
  /* overflow, underflow, NaN */
  return x > o_threshold ? (double)INFINITY : x < u_threshold ? 0.0 : x != x ? x : scaled;
}

#endif
