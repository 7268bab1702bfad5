import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BackendName } from "../../src/backends/backend.js";

/** Every engine the conformance suite runs a fixture on (all fixtures pass on all of them). */
export const ALL_BACKENDS: readonly BackendName[] = ["native", "onnx"];

/**
 * The engines to run `dir` on. ONNX needs a graph: the folder's own `onnx/model.onnx`, or one the
 * exporter builds on first use.
 */
export function backendsFor(dir: string, canExport: boolean): BackendName[] {
  return ALL_BACKENDS.filter((b) => b === "native" || canExport || existsSync(join(dir, "onnx", "model.onnx")));
}

/** The ONNX exporter builds a graph for every fixture without one (cached outside the folder). */
export const CAN_EXPORT = true;
