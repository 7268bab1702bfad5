/**
 * The tokenizer thread's entry: builds the same tokenizer as the main thread (from its origin)
 * and answers `TokenizeRequest`s with packed rows. See tokenizer-thread.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SbertError } from "../errors.js";
import { TextTokenizer, type TextInput, type TokenizerOrigin } from "./text-tokenizer.js";
import { type PackedRows, packRows, prepareInputs } from "./token-rows.js";

export interface TokenizeRequest {
  id: number;
  inputs: TextInput[];
  maxLength: number | undefined;
  lowerCase: boolean;
  addSpecialTokens: boolean;
}

export type TokenizeReply =
  | { type: "failed"; message: string }
  | { id: number; ok: true; rows: PackedRows }
  | { id: number; ok: false; code: string | undefined; message: string };

const port = parentPort;
if (!port) throw new Error("tokenizer-thread-worker.ts runs only as a worker thread");

const origin = workerData as TokenizerOrigin;
let tokenizer: TextTokenizer;
try {
  tokenizer = "dir" in origin ? await TextTokenizer.fromFolder(origin.dir) : TextTokenizer.fromJson(origin.tokenizerJson, origin.tokenizerConfig, origin.source);
  if ("dir" in origin && (tokenizer.origin as { fingerprint?: string }).fingerprint !== origin.fingerprint) {
    throw new Error(`the tokenizer files in ${origin.dir} changed after the model was loaded`);
  }
} catch (e) {
  port.postMessage({ type: "failed", message: (e as Error).message } satisfies TokenizeReply);
  process.exit(0);
}
port.on("message", (req: TokenizeRequest) => {
  try {
    const rows = packRows(tokenizer.encodeRows(prepareInputs(req.inputs, req.lowerCase), { maxLength: req.maxLength, addSpecialTokens: req.addSpecialTokens }));
    port.postMessage({ id: req.id, ok: true, rows } satisfies TokenizeReply, [rows.ids.buffer as ArrayBuffer, rows.typeIds.buffer as ArrayBuffer, rows.ends.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id: req.id, ok: false, code: e instanceof SbertError ? e.code : undefined, message: (e as Error).message } satisfies TokenizeReply);
  }
});
