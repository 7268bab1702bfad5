/**
 * A tokenizer on its own worker thread, so that tokenizing the next texts overlaps the model
 * computing the current ones (ONNX Runtime's `run` holds the main thread while it computes).
 * Started on first use; it does not keep the process alive while idle.
 *
 * @example
 * const thread = new TokenizerThread(tokenizer);
 * const rows = await thread.encodeRows(["a text", "another"], { maxLength: 256, lowerCase: false });
 * await thread.close();
 */
import type { Worker } from "node:worker_threads";
import { SbertError } from "../errors.js";
import { startWorkerThread } from "../io/worker-thread.js";
import type { TextInput, TextTokenizer, TokenRow } from "./text-tokenizer.js";
import { unpackRows } from "./token-rows.js";
import type { TokenizeReply, TokenizeRequest } from "./tokenizer-thread-worker.js";

interface Pending {
  resolve: (rows: TokenRow[]) => void;
  reject: (e: Error) => void;
}

export class TokenizerThread {
  private readonly tokenizer: TextTokenizer;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set when the thread failed to start or died: every later call fails at once with it. */
  private failure: SbertError | undefined;

  constructor(tokenizer: TextTokenizer) {
    this.tokenizer = tokenizer;
  }

  /** True until the thread has failed; callers then tokenize on their own thread. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /** `prepareInputs` + `TextTokenizer.encodeRows` on the worker thread; same rows, same errors. */
  encodeRows(inputs: readonly TextInput[], opts: { maxLength: number | undefined; lowerCase: boolean; addSpecialTokens?: boolean }): Promise<TokenRow[]> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<TokenRow[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, inputs: [...inputs], maxLength: opts.maxLength, lowerCase: opts.lowerCase, addSpecialTokens: opts.addSpecialTokens ?? true } satisfies TokenizeRequest);
    });
  }

  /** Stops the thread; pending calls fail. A later call starts a new one. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
    this.failAll(new SbertError("INVALID_OPERATION", "the tokenizer thread was closed"));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorkerThread(import.meta.url, "tokenizer-thread-worker", this.tokenizer.origin);
    worker.unref();
    worker.on("message", (msg: TokenizeReply) => {
      if ("type" in msg) {
        this.fail(new SbertError("INVALID_OPERATION", `the tokenizer thread could not load the tokenizer: ${msg.message}`));
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (msg.ok) p.resolve(unpackRows(msg.rows));
      else p.reject(msg.code ? new SbertError(msg.code as SbertError["code"], msg.message) : new Error(msg.message));
    });
    worker.on("error", (e) => this.fail(new SbertError("INVALID_OPERATION", `the tokenizer thread failed: ${e.message}`, { cause: e })));
    worker.on("exit", (code) => {
      if (this.worker === worker) this.fail(new SbertError("INVALID_OPERATION", `the tokenizer thread exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private fail(e: SbertError): void {
    this.failure = e;
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    this.failAll(e);
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }
}
