import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    // A temporary ONNX cache for the whole run (never ~/.cache/sbert-ts), removed afterwards.
    globalSetup: ["test/setup/onnx-cache.global.ts"],
  },
});
