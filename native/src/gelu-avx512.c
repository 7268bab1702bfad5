/*
 * See gelu-avx512.h. Each step below is the vector form of one line of fdlibm_exp (fdlibm-exp.h)
 * and of nr_erf / gelu / gelu_grad (ops.c), the same IEEE operations in the same order, so every
 * lane gives the bits the scalar code gives (GCC does not vectorize the scalar code itself: the
 * selects keep it from if-converting the loop).
 */
#include "gelu-avx512.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __m512d vabs(__m512d x) { return _mm512_castsi512_pd(_mm512_and_epi64(_mm512_castpd_si512(x), _mm512_set1_epi64(0x7fffffffffffffffLL))); }
AVX512 static inline __m512d vset(double v) { return _mm512_set1_pd(v); }
/* m ? a : b */
AVX512 static inline __m512d vsel(__mmask8 m, __m512d a, __m512d b) { return _mm512_mask_blend_pd(m, b, a); }

AVX512 static __m512d vexp(__m512d x) {
  const __m512d zero = _mm512_setzero_pd();
  const __m512d ax = vabs(x);
  const __m512d xr = vsel(_mm512_cmp_pd_mask(ax, vset(750), _CMP_LE_OQ), x, zero);
  const __m512d axr = vabs(xr);
  const __mmask8 neg = _mm512_cmp_pd_mask(xr, zero, _CMP_LT_OQ);
  const __m512d kr = _mm512_cvtepi32_pd(_mm512_cvttpd_epi32(_mm512_add_pd(_mm512_mul_pd(vset(1.44269504088896338700e+00), xr), vsel(neg, vset(-0.5), vset(0.5)))));
  const __m512d one_k = vsel(neg, vset(-1.0), vset(1.0));
  const __m512d k = vsel(_mm512_cmp_pd_mask(axr, vset(0.3465735912322998), _CMP_LT_OQ), zero,
                         vsel(_mm512_cmp_pd_mask(axr, vset(1.0397205352783203), _CMP_LT_OQ), one_k, kr));
  const __m512d hi = _mm512_sub_pd(xr, _mm512_mul_pd(k, vset(6.93147180369123816490e-01)));
  const __m512d lo = _mm512_mul_pd(k, vset(1.90821492927058770002e-10));
  const __m512d r = _mm512_sub_pd(hi, lo);
  const __m512d t = _mm512_mul_pd(r, r);
  __m512d p = _mm512_add_pd(vset(-1.65339022054652515390e-06), _mm512_mul_pd(t, vset(4.13813679705723846039e-08)));
  p = _mm512_add_pd(vset(6.61375632143793436117e-05), _mm512_mul_pd(t, p));
  p = _mm512_add_pd(vset(-2.77777777770155933842e-03), _mm512_mul_pd(t, p));
  p = _mm512_add_pd(vset(1.66666666666666019037e-01), _mm512_mul_pd(t, p));
  const __m512d c = _mm512_sub_pd(r, _mm512_mul_pd(t, p));
  const __m512d q = _mm512_div_pd(_mm512_mul_pd(r, c), _mm512_sub_pd(vset(2.0), c));
  const __m512d y = _mm512_sub_pd(vset(1.0), _mm512_sub_pd(_mm512_sub_pd(lo, q), hi));
  const __mmask8 low = _mm512_cmp_pd_mask(k, vset(-1021), _CMP_LT_OQ);
  const __m512i ki = _mm512_cvtepi32_epi64(_mm512_cvttpd_epi32(k));
  const __m512i kadj = _mm512_mask_add_epi64(ki, low, ki, _mm512_set1_epi64(1000));
  __m512d scaled = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(y), _mm512_slli_epi64(kadj, 52)));
  scaled = vsel(low, _mm512_mul_pd(scaled, vset(9.33263618503218878990e-302)), scaled);
  scaled = vsel(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, scaled);
  scaled = vsel(_mm512_cmp_pd_mask(x, vset(-7.45133219101941108420e+02), _CMP_LT_OQ), zero, scaled);
  return vsel(_mm512_cmp_pd_mask(x, vset(7.09782712893383973096e+02), _CMP_GT_OQ), vset((double)__builtin_inf()), scaled);
}

/* nr_erf: t = 1/(1 + 0.5z); r = t·exp(−z·z − 1.26551223 + t·(1.00002368 + t·(…))); x ≥ 0 ? 1 − r : r − 1 */
AVX512 static __m512d verf(__m512d x) {
  static const double coef[] = {1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277};
  const __m512d z = vabs(x);
  const __m512d one = vset(1.0);
  const __m512d t = _mm512_div_pd(one, _mm512_add_pd(one, _mm512_mul_pd(vset(0.5), z)));
  __m512d p = vset(coef[8]);
  for (int i = 7; i >= 0; i--) p = _mm512_add_pd(vset(coef[i]), _mm512_mul_pd(t, p));
  const __m512d mzz = _mm512_mul_pd(_mm512_sub_pd(_mm512_setzero_pd(), z), z); /* (−z)·z */
  const __m512d arg = _mm512_add_pd(_mm512_sub_pd(mzz, vset(1.26551223)), _mm512_mul_pd(t, p));
  const __m512d r = _mm512_mul_pd(t, vexp(arg));
  return vsel(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ), _mm512_sub_pd(one, r), _mm512_sub_pd(r, one));
}

AVX512 size_t gelu_erf_avx512(const float *x, const float *g, float *out, size_t n) {
  const __m512d half = vset(0.5), one = vset(1.0);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d xv = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    const __m512d e1 = _mm512_add_pd(one, verf(_mm512_div_pd(xv, vset(1.4142135623730951))));
    __m512d y;
    if (!g) {
      y = _mm512_mul_pd(_mm512_mul_pd(half, xv), e1); /* 0.5 · x · (1 + erf(x/√2)) */
    } else {
      /* 0.5 · (1 + erf(x/√2)) + (x · exp(−0.5 · x · x)) / √(2π), times g */
      const __m512d ex = vexp(_mm512_mul_pd(_mm512_mul_pd(vset(-0.5), xv), xv));
      const __m512d d = _mm512_add_pd(_mm512_mul_pd(half, e1), _mm512_div_pd(_mm512_mul_pd(xv, ex), vset(2.5066282746310002)));
      y = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(g + i)), d);
    }
    _mm256_storeu_ps(out + i, _mm512_cvtpd_ps(y));
  }
  return i;
}

int gelu_avx512_available(void) { return __builtin_cpu_supports("avx512f"); }

#else
size_t gelu_erf_avx512(const float *x, const float *g, float *out, size_t n) {
  (void)x;
  (void)g;
  (void)out;
  (void)n;
  return 0;
}
int gelu_avx512_available(void) { return 0; }
#endif
