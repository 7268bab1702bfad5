#ifndef SBERT_PEAK_H
#define SBERT_PEAK_H

/* One core's measured fp32 FMA rate in GFLOP/s for `isa` ("avx512" or "avx2"; 0 for any other), timed for about `seconds`. */
double sbert_fma_peak_gflops(const char *isa, double seconds);

#endif
