/**
 * Entry of a model worker thread: loads its own copy of the model, reports whether batching is
 * bit-exact, then computes batches one at a time. Protocol (structured clone):
 *   → { type: "ready", batchInvariant } | { type: "failed", message }
 *   ← { id, groups }   → { id, ok: true, outputs } | { id, ok: false, message, code }
 */
import { parentPort, workerData } from "node:worker_threads";
import { SbertError } from "../errors.js";
import { type ModelClass, loadServedModel } from "./model.js";
import { type WorkGroup, type WorkOutput, executeLiveGroup, isBatchInvariant } from "./work.js";

export interface WorkerInit {
  source: string;
  modelClass: ModelClass;
  maxInputLength: number;
  /** The engine the main thread's copy uses, so that both compute alike. */
  backend: "native" | "onnx";
  onnxThreads: number | undefined;
  /** The ONNX file the main thread's copy uses (onnx backend). */
  onnxFile?: string | undefined;
}

export interface WorkerRequest {
  id: number;
  groups: WorkGroup[];
}

export type WorkerReply =
  | { type: "ready"; batchInvariant: boolean }
  | { type: "failed"; message: string }
  | { id: number; ok: true; outputs: WorkOutput[][] }
  | { id: number; ok: false; message: string; code: string | undefined };

const port = parentPort;
if (!port) throw new Error("worker.ts runs as a worker thread of the sbert server");
const init = workerData as WorkerInit;

try {
  const served = await loadServedModel(init.source, { modelClass: init.modelClass, maxInputLength: init.maxInputLength, backend: init.backend, onnxThreads: init.onnxThreads, onnxFile: init.onnxFile });
  port.postMessage({ type: "ready", batchInvariant: await isBatchInvariant(served) } satisfies WorkerReply);
  port.on("message", (msg: WorkerRequest) => {
    void compute(msg).then(
      (outputs) => {
        const transfer = outputs.flat().map((o) => o.data.buffer as ArrayBuffer);
        port.postMessage({ id: msg.id, ok: true, outputs } satisfies WorkerReply, transfer);
      },
      (err: unknown) => {
        const code = err instanceof SbertError ? err.code : undefined;
        port.postMessage({ id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err), code } satisfies WorkerReply);
      },
    );
  });

  async function compute(msg: WorkerRequest): Promise<WorkOutput[][]> {
    const out: WorkOutput[][] = [];
    for (const g of msg.groups) out.push(await executeLiveGroup(served, g));
    return out;
  }
} catch (err) {
  port.postMessage({ type: "failed", message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
}
