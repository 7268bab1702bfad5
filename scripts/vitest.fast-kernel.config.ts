/**
 * The project's vitest config with every matmul on the native GEMM kernel (fails fast when it is
 * not built). For checking numerics against the goldens:
 *
 *   SBERT_KERNEL=fast npx vitest run -c scripts/vitest.fast-kernel.config.ts test/sentence-transformer.golden.test.ts test/training.golden.test.ts
 */
import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";
import base from "../vitest.config.js";

export default mergeConfig(
  base,
  defineConfig({ root: fileURLToPath(new URL("..", import.meta.url)), test: { setupFiles: ["src/tensor/kernels-fast.setup.ts"] } }),
);
