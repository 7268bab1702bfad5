/*
 * GELU's erf form (forward, and backward when g is given: out = g · GELU'(x)) over 8 values at a
 * time with AVX-512, bit-identical to the scalar gelu / gelu_grad of ops.c (float64 throughout,
 * fdlibm's exp). Only call it when gelu_avx512_available(). Processes the first n − n mod 8 values
 * and returns how many it did; the caller finishes the rest with the scalar code.
 */
#ifndef SBERT_GELU_AVX512_H
#define SBERT_GELU_AVX512_H

#include <stddef.h>

size_t gelu_erf_avx512(const float *x, const float *g, float *out, size_t n);
int gelu_avx512_available(void);

#endif
