/**
 * What verifying the ONNX cache costs on a warm load: the content key (weights' digests, remembered
 * by stamp), the entry check (size, stamp) and a full sha256 of the cached graph (what a file with
 * a new stamp costs), in one fresh process, as ratios to ONNX Runtime's session creation measured
 * in the same run.
 *
 *   npx tsx bench/make-bench-models.ts --out /tmp/bm && rm -rf /tmp/bm/mpnet-base/onnx
 *   npx tsx bench/onnx-cache.ts /tmp/bm/mpnet-base [cacheDir]
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OnnxBackend } from "../src/backends/onnx-backend.js";
import { acquireOnnxModel } from "../src/onnx/ensure.js";
import { fileSha256, onnxCacheKey, verifyEntry } from "../src/onnx/onnx-cache.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: bench/onnx-cache.ts <model folder without onnx/> [cacheDir]");
const cache = process.argv[3] ?? (await mkdtemp(join(tmpdir(), "sbert-bench-cache-")));
const ms = (t: number): string => `${(performance.now() - t).toFixed(0)} ms`;

if (process.argv[4] !== "--child") {
  let t = performance.now();
  await acquireOnnxModel(dir, { writeTo: "cache", onnxCache: cache, task: "feature-extraction" });
  console.log(`acquire in this process (export + write + manifest when the entry is missing): ${ms(t)}`);
  const { execFileSync } = await import("node:child_process");
  t = performance.now();
  execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, dir, cache, "--child"], { stdio: "inherit" });
} else {
  let t = performance.now();
  const key = await onnxCacheKey(dir, { fileName: "model.onnx", task: "feature-extraction" }, cache);
  const keyMs = performance.now() - t;
  t = performance.now();
  const ok = await verifyEntry(join(cache, key), "model.onnx");
  const verifyMs = performance.now() - t;
  t = performance.now();
  const backend = await OnnxBackend.create(join(cache, key, "model.onnx"));
  const sessionMs = performance.now() - t;
  await backend.dispose();
  t = performance.now();
  await fileSha256(join(cache, key, "model.onnx")); // what verifying costs when the stamp does not match (a moved or copied cache)
  const fullMs = performance.now() - t;
  console.log(`warm load, fresh process: key ${keyMs.toFixed(0)} ms, verify entry (size, stamp) ${verifyMs.toFixed(0)} ms (ok=${ok}), ONNX Runtime session ${sessionMs.toFixed(0)} ms; full sha256 of the graph ${fullMs.toFixed(0)} ms`);
  console.log(`ratios to the session: key ${(keyMs / sessionMs).toFixed(3)}, verify ${(verifyMs / sessionMs).toFixed(3)}, full sha256 ${(fullMs / sessionMs).toFixed(2)}`);
}
