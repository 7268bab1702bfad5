/**
 * Cross-encoder routes: TEI's /rerank (one-label models) and /predict (any cross-encoder). Scores
 * come from one `CrossEncoder.predict` call; without `raw_scores` they are the sigmoid of the
 * logit (one label) or the softmax over the labels, as TEI gives them.
 */
import { type Handler, compute, json } from "./context.js";
import { ApiError } from "./errors.js";
import type { QueueItem } from "./queue.js";
import { measurePairs } from "./tokenization.js";
import { checkBatch, checkTruncationDirection, describe, optBool, readPredictInputs, requireObject, requireString } from "./validate.js";
import type { WorkSpec } from "./work.js";

/**
 * POST /rerank → `[{"index", "score", "text"?}, ...]`, best first; ties keep input order, as
 * `CrossEncoder.rank` does.
 */
export const rerank: Handler = async (ctx, raw) => {
  if (ctx.served.kind !== "reranker") throw new ApiError("backend", "model is not a re-ranker model");
  const body = requireObject(raw);
  const query = requireString(body, "query");
  const texts = body["texts"];
  if (!Array.isArray(texts)) throw new ApiError("validation", `\`texts\` must be a list of strings, got ${describe(texts)}`);
  checkBatch(texts.length, "texts", ctx.config.maxClientBatchSize);
  texts.forEach((t: unknown, i) => {
    if (typeof t !== "string") throw new ApiError("validation", `\`texts[${i}]\` must be a string, got ${describe(t)}`);
  });
  checkTruncationDirection(body);
  const truncate = optBool(body, "truncate", ctx.config.autoTruncate);
  const rawScores = optBool(body, "raw_scores", false);
  const returnText = optBool(body, "return_text", false);
  const t0 = performance.now();
  const { measured, pairs } = measurePairs(ctx.served, (texts as string[]).map((t) => [query, t] as const), truncate);
  const spec: WorkSpec = { op: "predict", rawScores };
  const items: QueueItem[] = pairs.map((input, i) => ({ spec, input, tokens: measured[i]?.tokens ?? 0 }));
  const { outputs, timing } = await compute(ctx, items, measured, performance.now() - t0, false);
  const ranks = outputs.map((o, index) => ({ index, ...(returnText ? { text: texts[index] as string } : {}), score: o.data[0] as number }));
  ranks.sort((a, b) => b.score - a.score);
  return json(ranks, timing);
};

/**
 * POST /predict → `[{"score", "label"}, ...]` (best first) for one input, a list of those for a
 * batch. Inputs: `"text"`, `["text", "pair"]`, or `[["text"], ["text", "pair"], ...]`.
 */
export const predict: Handler = async (ctx, raw) => {
  const served = ctx.served;
  if (served.kind === "embedding" || served.kind === "sparse") throw new ApiError("backend", "Model is not a classifier model");
  const body = requireObject(raw);
  const { pairs, single } = readPredictInputs(body, ctx.config.maxClientBatchSize);
  checkTruncationDirection(body);
  const truncate = optBool(body, "truncate", ctx.config.autoTruncate);
  const rawScores = optBool(body, "raw_scores", false);
  const t0 = performance.now();
  const cut = measurePairs(served, pairs, truncate);
  const measured = cut.measured;
  const spec: WorkSpec = { op: "predict", rawScores };
  const items: QueueItem[] = cut.pairs.map((input, i) => ({ spec, input, tokens: measured[i]?.tokens ?? 0 }));
  const { outputs, timing } = await compute(ctx, items, measured, performance.now() - t0, single);
  const predictions = outputs.map((o) => served.labels.map((label, j) => ({ score: o.data[j] as number, label })).sort((a, b) => b.score - a.score));
  return json(single ? predictions[0] : predictions, timing);
};
