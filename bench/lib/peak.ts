import { measuredFmaPeak } from "../../src/tensor/kernels-fast.js";

/**
 * The fp32 peak of one core that the benchmarks' "% of peak" divide by: `SBERT_PEAK_GFLOPS` when set,
 * else measured by the native addon's FMA loop (native/src/peak.c), else 114 GFLOP/s (two 256-bit
 * FMA pipes at ~3.5 GHz) when there is no native kernel to measure with. Measured once per process.
 */
let cached: { gflops: number; source: string } | undefined;

export function peakPerCore(): { gflops: number; source: string } {
  if (cached) return cached;
  const fromEnv = Number(process.env["SBERT_PEAK_GFLOPS"]);
  if (Number.isFinite(fromEnv) && fromEnv > 0) cached = { gflops: fromEnv, source: "SBERT_PEAK_GFLOPS" };
  else {
    const measured = measuredFmaPeak(0.5);
    cached = measured ? { gflops: measured, source: "measured FMA peak" } : { gflops: 114, source: "assumed; no native kernel to measure with" };
  }
  return cached;
}

/** The peak line a benchmark prints under its table. */
export function peakNote(): string {
  const p = peakPerCore();
  return `fp32 peak ${p.gflops.toFixed(0)} GFLOP/s per core (${p.source})`;
}
