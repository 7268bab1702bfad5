/**
 * Vitest global setup: the whole run uses a temporary ONNX cache (SBERT_ONNX_CACHE), removed at
 * the end, so tests never write into `~/.cache/sbert-ts`. Set before the workers start, so they —
 * and every CLI subprocess a test spawns with `process.env` — inherit it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "sbert-test-onnx-cache-"));
  process.env["SBERT_ONNX_CACHE"] = dir;
  process.env["SBERT_TEST_ONNX_CACHE"] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
