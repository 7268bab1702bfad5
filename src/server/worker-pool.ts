/**
 * Backend on worker threads: N workers, each with its own copy of the model and one batch at a
 * time, so the HTTP thread stays free to accept, refuse (429) and notice disconnects while the
 * model computes. A worker that dies fails its batch (424) and is replaced; /health says 503 until
 * the replacement is ready.
 *
 * @example
 * const pool = await WorkerPoolBackend.start({ source: dir, modelClass: "sentence-transformer", maxInputLength: 256 }, 2);
 */
import type { Worker } from "node:worker_threads";
import { SbertError } from "../errors.js";
import { startWorkerThread } from "../io/worker-thread.js";
import type { Backend } from "./backend.js";
import { ApiError } from "./errors.js";
import type { WorkGroup, WorkOutput } from "./work.js";
import type { WorkerInit, WorkerReply } from "./worker.js";

interface Slot {
  worker: Worker;
  busy: { id: number; resolve: (o: WorkOutput[][]) => void; reject: (e: Error) => void } | undefined;
}

export class WorkerPoolBackend implements Backend {
  readonly capacity: number;
  readonly batchInvariant: boolean;
  private readonly init: WorkerInit;
  private readonly slots: (Slot | undefined)[];
  private nextId = 1;
  private closing = false;

  private constructor(init: WorkerInit, slots: Slot[], batchInvariant: boolean) {
    this.init = init;
    this.slots = slots;
    this.capacity = slots.length;
    this.batchInvariant = batchInvariant;
    slots.forEach((s, i) => this.watch(s, i));
  }

  /** Starts `threads` workers and waits until every one has loaded the model. */
  static async start(init: WorkerInit, threads: number): Promise<WorkerPoolBackend> {
    const started = await Promise.allSettled(Array.from({ length: threads }, () => spawn(init)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await Promise.all(started.map((r) => (r.status === "fulfilled" ? r.value.worker.terminate() : undefined)));
      throw failed.reason;
    }
    const ok = started.map((r) => (r as PromiseFulfilledResult<{ worker: Worker; batchInvariant: boolean }>).value);
    return new WorkerPoolBackend(init, ok.map((s) => ({ worker: s.worker, busy: undefined })), ok.every((s) => s.batchInvariant));
  }

  run(groups: readonly WorkGroup[]): Promise<WorkOutput[][]> {
    const slot = this.slots.find((s): s is Slot => s !== undefined && s.busy === undefined);
    if (!slot) return Promise.reject(new ApiError("unhealthy", "no model worker is free; a worker is restarting"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.busy = { id, resolve, reject };
      slot.worker.postMessage({ id, groups });
    });
  }

  healthy(): boolean {
    return this.slots.every((s) => s !== undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s?.worker.terminate()));
  }

  private watch(slot: Slot, index: number): void {
    slot.worker.on("message", (msg: WorkerReply) => {
      if (!("id" in msg) || slot.busy?.id !== msg.id) return;
      const { resolve, reject } = slot.busy;
      slot.busy = undefined;
      if (msg.ok) resolve(msg.outputs);
      else reject(msg.code ? new SbertError(msg.code as SbertError["code"], msg.message) : new Error(msg.message));
    });
    const lost = (why: string): void => {
      if (this.slots[index] !== slot) return;
      this.slots[index] = undefined;
      slot.busy?.reject(new ApiError("backend", `model worker stopped (${why}); the batch was not computed`));
      slot.busy = undefined;
      if (!this.closing) this.respawn(index);
    };
    slot.worker.on("error", (e) => lost(e.message));
    slot.worker.on("exit", (code) => lost(`exit code ${code}`));
  }

  private respawn(index: number): void {
    spawn(this.init).then(
      ({ worker }) => {
        if (this.closing) return void worker.terminate();
        const slot: Slot = { worker, busy: undefined };
        this.slots[index] = slot;
        this.watch(slot, index);
      },
      () => setTimeout(() => !this.closing && this.respawn(index), 1000).unref(),
    );
  }
}

/** Starts one worker and waits for its `ready` message. */
function spawn(init: WorkerInit): Promise<{ worker: Worker; batchInvariant: boolean }> {
  const worker = newWorker(init);
  return new Promise((resolve, reject) => {
    const onMessage = (msg: WorkerReply): void => {
      if (!("type" in msg)) return;
      worker.off("message", onMessage);
      worker.off("error", reject);
      if (msg.type === "ready") resolve({ worker, batchInvariant: msg.batchInvariant });
      else void worker.terminate().finally(() => reject(new SbertError("INVALID_MODEL_FILE", msg.message)));
    };
    worker.on("message", onMessage);
    worker.on("error", reject);
  });
}

/** The worker thread: `worker.ts` (or the compiled `worker.js`) next to this file. */
function newWorker(init: WorkerInit): Worker {
  return startWorkerThread(import.meta.url, "worker", init);
}
