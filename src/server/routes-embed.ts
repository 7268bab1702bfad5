/**
 * Bi-encoder routes: TEI's /embed, /embed_all, /similarity and the OpenAI-compatible
 * /v1/embeddings. Every number comes from one `encode` call of the library (see work.ts).
 */
import { DenseMatrix } from "../tensor/dense.js";
import { type Handler, type RouteContext, compute, json, requireEmbedding } from "./context.js";
import { ApiError } from "./errors.js";
import type { Timing } from "./http-io.js";
import type { QueueItem } from "./queue.js";
import { isImageDataUrl, readImageDataUrl } from "./image-inputs.js";
import { maxInputLength } from "./model.js";
import { embedOnSparse } from "./routes-sparse.js";
import { type Measured, measureInputs, resolvePrompt } from "./tokenization.js";
import {
  type Body,
  type EmbedInput,
  checkBatch,
  checkTruncationDirection,
  describe,
  optBool,
  optEnum,
  optPositiveInt,
  optString,
  readEmbedInputs,
  requireObject,
  requireString,
} from "./validate.js";
import type { WorkInput, WorkOutput, WorkSpec } from "./work.js";

interface EmbedOptions {
  op: "embed" | "embed_all";
  /** The request field of the inputs, for messages. */
  field: string;
  normalize: boolean;
  truncate: boolean;
  promptName: string | undefined;
  dimensions: number | undefined;
}

/**
 * Measures, queues and computes embeddings of texts, token ids and images (`data:image/...`
 * strings, image-inputs.ts: checked here, queued as their bytes).
 */
async function embedInputs(ctx: RouteContext, inputs: EmbedInput[], opts: EmbedOptions, single: boolean): Promise<{ outputs: WorkOutput[]; timing: Timing }> {
  const served = ctx.served;
  requireEmbedding(served);
  const t0 = performance.now();
  const hasIds = inputs.some((x) => typeof x !== "string");
  if (hasIds && opts.op === "embed_all") throw new ApiError("validation", "token ids are accepted by /embed and /v1/embeddings, not /embed_all; send texts");
  if (hasIds && opts.promptName !== undefined) throw new ApiError("validation", "`prompt_name` cannot be used with token ids; send texts or leave out prompt_name");
  const images = readImages(ctx, inputs, opts, single);
  const prompt = resolvePrompt(served, opts.promptName);
  const others = images.size === 0 ? inputs : inputs.filter((_, i) => !images.has(i));
  const m = measureInputs(served, others, prompt, opts.truncate);
  const cut: WorkInput[] = [];
  const measured: Measured[] = [];
  let next = 0;
  inputs.forEach((_, i) => {
    const image = images.get(i);
    if (image) {
      cut.push({ image });
      measured.push({ tokens: 0, chars: 0 });
    } else {
      cut.push(m.inputs[next] as EmbedInput);
      measured.push(m.measured[next++] as Measured);
    }
  });
  const textSpec: WorkSpec = {
    op: opts.op,
    ...(opts.op === "embed" ? { normalize: opts.normalize } : {}),
    ...(opts.promptName !== undefined ? { promptName: opts.promptName } : {}),
    ...(opts.dimensions !== undefined ? { dimensions: opts.dimensions } : {}),
  };
  const idSpec: WorkSpec = { op: "embed_ids", normalize: opts.normalize, ...(opts.dimensions !== undefined ? { dimensions: opts.dimensions } : {}) };
  // an image's share of a batch's token budget: a full-length text's
  const imageTokens = maxInputLength(served);
  const items: QueueItem[] = cut.map((input, i) => ({
    spec: Array.isArray(input) ? idSpec : textSpec,
    input,
    tokens: images.has(i) ? imageTokens : (measured[i]?.tokens ?? 0),
  }));
  return compute(ctx, items, measured, performance.now() - t0, single);
}

/** The image inputs (by index) of a request: its `data:image/...` strings, as file bytes. */
function readImages(ctx: RouteContext, inputs: readonly EmbedInput[], opts: EmbedOptions, single: boolean): Map<number, Uint8Array> {
  const images = new Map<number, Uint8Array>();
  inputs.forEach((x, i) => {
    if (typeof x !== "string" || !isImageDataUrl(x)) return;
    const where = single ? opts.field : `${opts.field}[${i}]`;
    if (opts.op === "embed_all") throw new ApiError("validation", `\`${where}\` is an image; /embed_all gives token embeddings of texts only`);
    images.set(i, readImageDataUrl(x, where, ctx.config));
  });
  return images;
}

function truncateOf(ctx: RouteContext, body: Body): boolean {
  checkTruncationDirection(body);
  return optBool(body, "truncate", ctx.config.autoTruncate);
}

function dimensionsOf(ctx: RouteContext, body: Body): number | undefined {
  requireEmbedding(ctx.served);
  return optPositiveInt(body, "dimensions", ctx.served.model.fullEmbeddingDimension());
}

const rows = (o: WorkOutput): number[][] => Array.from({ length: o.rows }, (_, r) => Array.from(o.data.subarray(r * o.cols, (r + 1) * o.cols)));

/**
 * POST /embed → `[[f32, ...], ...]`, one embedding per input (normalized unless `normalize: false`).
 * For a model that reads images (CLIP), an input `"data:image/png;base64,..."` (or image/jpeg) is an image.
 */
export const embed: Handler = async (ctx, raw) => {
  if (ctx.served.kind === "sparse") return embedOnSparse(ctx, requireObject(raw));
  requireEmbedding(ctx.served);
  const body = requireObject(raw);
  const { inputs, single } = readEmbedInputs(body, "inputs", ctx.config.maxClientBatchSize);
  const opts: EmbedOptions = {
    op: "embed",
    field: "inputs",
    normalize: optBool(body, "normalize", true),
    truncate: truncateOf(ctx, body),
    promptName: optString(body, "prompt_name"),
    dimensions: dimensionsOf(ctx, body),
  };
  const { outputs, timing } = await embedInputs(ctx, inputs, opts, single);
  return json(outputs.map((o) => Array.from(o.data)), timing);
};

/** POST /embed_all → `[[[f32, ...], ...], ...]`: every input's token embeddings (padding excluded). */
export const embedAll: Handler = async (ctx, raw) => {
  if (ctx.served.kind === "sparse") throw new ApiError("backend", "`embed_all` is not available for SPLADE models");
  requireEmbedding(ctx.served);
  const body = requireObject(raw);
  const { inputs, single } = readEmbedInputs(body, "inputs", ctx.config.maxClientBatchSize);
  const opts: EmbedOptions = { op: "embed_all", field: "inputs", normalize: false, truncate: truncateOf(ctx, body), promptName: optString(body, "prompt_name"), dimensions: undefined };
  const { outputs, timing } = await embedInputs(ctx, inputs, opts, single);
  return json(outputs.map(rows), timing);
};

/**
 * POST /similarity → `[f32, ...]`: the model's similarity function (cosine unless the model says
 * otherwise) between `inputs.source_sentence` and each of `inputs.sentences`.
 */
export const similarity: Handler = async (ctx, raw) => {
  const served = ctx.served;
  requireEmbedding(served);
  const body = requireObject(raw);
  const inputs = requireObject(body["inputs"], "`inputs`");
  const source = requireString(inputs, "source_sentence");
  const sentences = inputs["sentences"];
  if (!Array.isArray(sentences)) throw new ApiError("validation", `\`inputs.sentences\` must be a list of strings, got ${describe(sentences)}`);
  if (sentences.length === 0) throw new ApiError("empty", "`inputs.sentences` cannot be empty");
  checkBatch(sentences.length + 1, "inputs.sentences", ctx.config.maxClientBatchSize);
  sentences.forEach((s: unknown, i) => {
    if (typeof s !== "string") throw new ApiError("validation", `\`inputs.sentences[${i}]\` must be a string, got ${describe(s)}`);
  });
  const params = body["parameters"] === undefined || body["parameters"] === null ? {} : requireObject(body["parameters"], "`parameters`");
  const opts: EmbedOptions = { op: "embed", field: "inputs", normalize: false, truncate: truncateOf(ctx, params), promptName: optString(params, "prompt_name"), dimensions: undefined };
  const { outputs, timing } = await embedInputs(ctx, [source, ...(sentences as string[])], opts, false);
  const dim = outputs[0]?.cols ?? 0;
  const others = new Float32Array(sentences.length * dim);
  outputs.slice(1).forEach((o, i) => others.set(o.data, i * dim));
  const sims = served.model.similarity(new DenseMatrix(outputs[0]?.data ?? new Float32Array(), 1, dim), new DenseMatrix(others, sentences.length, dim));
  return json(Array.from(sims.row(0)), timing);
};

/**
 * POST /v1/embeddings (OpenAI): `input` string, list of strings, token ids or lists of ids
 * (a `data:image/png;base64,...` / `data:image/jpeg;base64,...` string: an image, for CLIP);
 * `encoding_format` float | base64 (little-endian float32 bytes); `dimensions`. Embeddings are
 * normalized, as OpenAI's are; `model` is accepted and the served model's id is returned.
 */
export const openaiEmbeddings: Handler = async (ctx, raw) => {
  requireEmbedding(ctx.served);
  const body = requireObject(raw);
  const { inputs, single } = readEmbedInputs(body, "input", ctx.config.maxClientBatchSize);
  optString(body, "model");
  optString(body, "user");
  const format = optEnum(body, "encoding_format", ["float", "base64"] as const, "float");
  const opts: EmbedOptions = { op: "embed", field: "input", normalize: true, truncate: ctx.config.autoTruncate, promptName: undefined, dimensions: dimensionsOf(ctx, body) };
  const { outputs, timing } = await embedInputs(ctx, inputs, opts, single);
  const data = outputs.map((o, index) => ({
    object: "embedding",
    embedding: format === "base64" ? Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength).toString("base64") : Array.from(o.data),
    index,
  }));
  const usage = { prompt_tokens: timing.computeTokens, total_tokens: timing.computeTokens };
  return json({ object: "list", data, model: ctx.served.id, usage }, timing);
};
