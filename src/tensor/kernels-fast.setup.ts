/**
 * Vitest setup file: with SBERT_KERNEL=fast every matmul of the test run (tensor ops, forward and
 * backward, goldens) goes through the native kernel, and the run fails at once if it is not built.
 * Without that variable it does nothing.
 *
 *   SBERT_KERNEL=fast npx vitest run test/sentence-transformer.golden.test.ts test/training.golden.test.ts
 */
import { FAST_KERNEL_PATH, useFastKernel } from "./kernels-fast.js";

if (process.env.SBERT_KERNEL === "fast" && !useFastKernel()) {
  throw new Error(`SBERT_KERNEL=fast, but the native GEMM kernel did not load from ${FAST_KERNEL_PATH}: run \`npm run build:native\``);
}
