/**
 * Routes that do not queue: /tokenize and /decode (the model's tokenizer, on the HTTP thread) and
 * /info (TEI's Info shape).
 */
import { prepareText } from "../tokenizers/token-rows.js";
import { type Handler, json } from "./context.js";
import { ApiError } from "./errors.js";
import { type ServedModel, backendName, maxInputLength, textSide } from "./model.js";
import { resolvePrompt } from "./tokenization.js";
import { checkBatch, describe, optBool, optString, readIds, readStrings, requireObject } from "./validate.js";

/** TEI's MAX_CHAR_MULTIPLIER, as in tokenization.ts. */
const MAX_CHARS_PER_TOKEN = 250;

interface SimpleToken {
  id: number;
  text: string;
  special: boolean;
  start: number | null;
  stop: number | null;
}

/**
 * POST /tokenize → `[[{"id", "text", "special", "start", "stop"}, ...], ...]`: the ids the model
 * sees (prompt included, no truncation). `text` is the token decoded on its own; `start` / `stop`
 * are null (the tokenizer API gives no offsets).
 */
export const tokenize: Handler = (ctx, raw) => {
  const body = requireObject(raw);
  const { inputs } = readStrings(body, "inputs", ctx.config.maxClientBatchSize);
  const addSpecial = optBool(body, "add_special_tokens", true);
  const prompt = resolvePrompt(ctx.served, optString(body, "prompt_name"));
  const charLimit = maxInputLength(ctx.served) * MAX_CHARS_PER_TOKEN;
  const transformer = textSide(ctx.served);
  const tok = transformer.tokenizer;
  const out = inputs.map((input): SimpleToken[] => {
    if (input.length === 0) throw new ApiError("empty", "`inputs` cannot be empty");
    const text = prompt + input;
    if (text.length > charLimit) throw new ApiError("validation", `\`inputs\` must have less than ${charLimit} characters. Given: ${text.length}`);
    const prepared = prepareText(text, transformer.doLowerCase);
    const ids = tok.encode(prepared, undefined, { addSpecialTokens: addSpecial }).ids;
    const content = addSpecial ? tok.encode(prepared, undefined, { addSpecialTokens: false }).ids : ids;
    const at = addSpecial ? findRun(ids, content) : 0;
    return ids.map((id, i) => ({ id, text: tok.decode([id]), special: i < at || i >= at + content.length, start: null, stop: null }));
  });
  return json(out);
};

/** Start of `run` inside `ids` (the content between the special tokens); 0 when not found. */
function findRun(ids: readonly number[], run: readonly number[]): number {
  for (let p = 0; p + run.length <= ids.length; p++) {
    let j = 0;
    while (j < run.length && ids[p + j] === run[j]) j++;
    if (j === run.length) return p;
  }
  return 0;
}

/** POST /decode → `["text", ...]`; `ids` is one list of ids or a list of them. */
export const decode: Handler = (ctx, raw) => {
  const body = requireObject(raw);
  const v = body["ids"];
  if (!Array.isArray(v)) throw new ApiError("validation", `\`ids\` must be a list of token ids or a list of such lists, got ${describe(v)}`);
  const batch = v.length > 0 && Array.isArray(v[0]);
  const lists = batch
    ? v.map((x: unknown, i) => {
        if (!Array.isArray(x)) throw new ApiError("validation", `\`ids[${i}]\` must be a list of token ids, got ${describe(x)}`);
        return readIds(x, `ids[${i}]`);
      })
    : [readIds(v, "ids")];
  if (batch) checkBatch(lists.length, "ids", ctx.config.maxClientBatchSize);
  else if (lists[0]?.length === 0) throw new ApiError("empty", "`ids` cannot be empty");
  const skip = optBool(body, "skip_special_tokens", true);
  const tok = textSide(ctx.served).tokenizer;
  return json(lists.map((ids) => tok.decode(ids, { skipSpecialTokens: skip })));
};

/** GET /info → TEI's Info: model, type and the router's limits. */
export function info(served: ServedModel, config: { maxConcurrentRequests: number; maxBatchTokens: number; maxClientBatchSize: number; autoTruncate: boolean; workers: number }, version: string): Handler {
  const labels = served.kind === "reranker" || served.kind === "classifier" ? served.labels : [];
  const classifier = { id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) };
  const modelType = served.kind === "embedding" ? { embedding: { pooling: served.pooling } } : served.kind === "sparse" ? { embedding: { pooling: "splade" } } : { [served.kind]: classifier };
  return () =>
    json({
      model_id: served.id,
      model_sha: null,
      model_dtype: "float32",
      model_type: modelType,
      max_concurrent_requests: config.maxConcurrentRequests,
      max_input_length: maxInputLength(served),
      max_batch_tokens: config.maxBatchTokens,
      max_batch_requests: null,
      max_client_batch_size: config.maxClientBatchSize,
      auto_truncate: config.autoTruncate,
      tokenization_workers: 1,
      model_workers: config.workers,
      model_backend: backendName(served),
      version,
      sha: null,
      docker_label: null,
    });
}
