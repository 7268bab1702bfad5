/**
 * Sparse-model routes, as text-embeddings-inference serves SPLADE models
 * (router/src/http/server.rs `embed_sparse`, core/src/infer.rs): POST /embed_sparse →
 * `[[{"index", "value"}, ...], ...]` (the non-zero entries, indices ascending; a list of lists also
 * for a single input); POST /embed on a sparse model gives the dense vocabulary-sized rows when
 * `normalize: false` and TEI's 424 otherwise. Every number is one `SparseEncoder.encode` call's.
 */
import { type Handler, type RouteContext, compute, json } from "./context.js";
import { ApiError } from "./errors.js";
import type { Timing } from "./http-io.js";
import type { QueueItem } from "./queue.js";
import { measureInputs, resolvePrompt } from "./tokenization.js";
import { type Body, checkTruncationDirection, optBool, optString, readEmbedInputs, requireObject } from "./validate.js";
import type { WorkOutput, WorkSpec } from "./work.js";

/** TEI's message when a sparse route meets a dense model. */
const NOT_SPLADE = "Model is not an embedding model with SPLADE pooling";

async function sparseRows(ctx: RouteContext, body: Body): Promise<{ outputs: WorkOutput[]; timing: Timing; single: boolean }> {
  const served = ctx.served;
  if (served.kind !== "sparse") throw new ApiError("backend", NOT_SPLADE);
  const { inputs, single } = readEmbedInputs(body, "inputs", ctx.config.maxClientBatchSize);
  if (inputs.some((x) => typeof x !== "string")) throw new ApiError("validation", "token ids are not accepted for sparse models; send texts");
  checkTruncationDirection(body);
  const truncate = optBool(body, "truncate", ctx.config.autoTruncate);
  const promptName = optString(body, "prompt_name");
  const t0 = performance.now();
  const { inputs: cut, measured } = measureInputs(served, inputs, resolvePrompt(served, promptName), truncate);
  const spec: WorkSpec = { op: "embed_sparse", ...(promptName !== undefined ? { promptName } : {}) };
  const items: QueueItem[] = cut.map((input, i) => ({ spec, input, tokens: measured[i]?.tokens ?? 0 }));
  return { ...(await compute(ctx, items, measured, performance.now() - t0, single)), single };
}

/** POST /embed_sparse → `[[{"index", "value"}, ...], ...]`. */
export const embedSparse: Handler = async (ctx, raw) => {
  const { outputs, timing } = await sparseRows(ctx, requireObject(raw));
  return json(outputs.map((o) => sparsify(o.data)), timing);
};

/** POST /embed on a sparse model: dense rows with `normalize: false`, else TEI's 424. */
export async function embedOnSparse(ctx: RouteContext, body: Body): Promise<ReturnType<typeof json>> {
  if (optBool(body, "normalize", true)) throw new ApiError("backend", "`normalize` is not available for SPLADE models");
  if (body["dimensions"] !== undefined && body["dimensions"] !== null) throw new ApiError("validation", "`dimensions` is not available for SPLADE models");
  const { outputs, timing } = await sparseRows(ctx, body);
  return json(outputs.map((o) => Array.from(o.data)), timing);
}

/** The non-zero entries of a dense row, as TEI's `SparseValue`s. */
function sparsify(row: Float32Array): { index: number; value: number }[] {
  const out: { index: number; value: number }[] = [];
  for (let i = 0; i < row.length; i++) if (row[i] !== 0) out.push({ index: i, value: row[i] as number });
  return out;
}
