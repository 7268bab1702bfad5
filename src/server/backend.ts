/**
 * The backend seam of the server (TEI's third layer): a few methods that compute groups of work.
 * Implementations: worker threads (`WorkerPoolBackend`, the default) and the main thread
 * (`InProcessBackend`, `--threads 0`). The queue is their only caller.
 */
import type { ServedModel } from "./model.js";
import { type WorkGroup, type WorkOutput, executeLiveGroup, isBatchInvariant } from "./work.js";

export interface Backend {
  /** Batches that may run at the same time (one per worker thread). */
  readonly capacity: number;
  /** One call with many inputs gives each the bits it gets alone (see `isBatchInvariant`). */
  readonly batchInvariant: boolean;
  /** Computes the groups of one batch: per group, one output per input, in order. */
  run(groups: readonly WorkGroup[]): Promise<WorkOutput[][]>;
  /** False while a worker is down; /health answers 503. */
  healthy(): boolean;
  close(): Promise<void>;
}

/** Computes on the calling thread: blocks the event loop while it computes. */
export class InProcessBackend implements Backend {
  readonly capacity = 1;
  readonly batchInvariant: boolean;
  private readonly served: ServedModel;

  private constructor(served: ServedModel, batchInvariant: boolean) {
    this.served = served;
    this.batchInvariant = batchInvariant;
  }

  static async start(served: ServedModel): Promise<InProcessBackend> {
    return new InProcessBackend(served, await isBatchInvariant(served));
  }

  async run(groups: readonly WorkGroup[]): Promise<WorkOutput[][]> {
    const out: WorkOutput[][] = [];
    for (const g of groups) out.push(await executeLiveGroup(this.served, g));
    return out;
  }

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
