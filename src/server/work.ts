/**
 * What the batching queue hands the backend: groups of inputs that share one set of options, each
 * group computed by ONE library call (`encode` / `predict`) so that the numbers are the library's.
 * Runs in a worker thread or on the main thread (`--threads 0`); knows nothing of HTTP.
 *
 * @example
 * await executeGroup(served, { spec: { op: "embed", normalize: true }, inputs: ["a", "b"] });
 * // [{ data: Float32Array(48), rows: 1, cols: 48 }, { ... }]
 */
import { SbertError } from "../errors.js";
import { DenseMatrix } from "../tensor/dense.js";
import { normalizeEmbeddings } from "../util/index.js";
import { requireFiniteRows } from "../models/non-finite.js";
import { type ServedModel, textSide } from "./model.js";

export type WorkOp = "embed" | "embed_ids" | "embed_all" | "predict" | "embed_sparse";

/** The options of a group; inputs with equal specs may share a library call. */
export interface WorkSpec {
  op: WorkOp;
  /** embed, embed_ids: L2-normalize (after `dimensions`). */
  normalize?: boolean;
  /** embed, embed_all: a prompt of the model; absent = the model's default prompt. */
  promptName?: string;
  /** embed, embed_ids: keep the first N dimensions. */
  dimensions?: number;
  /** predict: logits instead of sigmoid (one label) / softmax (several). */
  rawScores?: boolean;
}

/**
 * A text (embed, embed_all), an image's file bytes (embed; structured-cloned to a worker thread),
 * token ids (embed_ids) or a text pair (predict; "" second = single text).
 */
export type WorkInput = string | { readonly image: Uint8Array } | readonly number[] | readonly [string, string];

export interface WorkGroup {
  spec: WorkSpec;
  inputs: WorkInput[];
  /**
   * Shared-memory flags set by the queue when an input's client leaves (`flags[index[i]] === 1`:
   * skip input i). A SharedArrayBuffer, so a worker thread sees the flags set after it got the group.
   */
  cancel?: { flags: Int32Array; index: readonly number[] };
}

/** One input's result: an embedding (1 × dim), token embeddings (tokens × hidden) or scores (1 × labels). */
export interface WorkOutput {
  data: Float32Array;
  rows: number;
  cols: number;
  /** Not computed: the input's client had gone (an empty placeholder). */
  skipped?: true;
}

/**
 * Computes a group without the inputs whose client has gone (see `WorkGroup.cancel`); those get
 * a `skipped` placeholder, and a group whose clients have all gone is not computed at all. The
 * others get the same bits: inputs of several requests share a group only on a batch-invariant
 * backend.
 */
export async function executeLiveGroup(served: ServedModel, group: WorkGroup): Promise<WorkOutput[]> {
  const cancel = group.cancel;
  if (!cancel) return executeGroup(served, group);
  const live = group.inputs.map((_, i) => Atomics.load(cancel.flags, cancel.index[i] ?? -1) !== 1);
  if (live.every(Boolean)) return executeGroup(served, { spec: group.spec, inputs: group.inputs });
  const kept = group.inputs.filter((_, i) => live[i]);
  const outputs = kept.length > 0 ? await executeGroup(served, { spec: group.spec, inputs: kept }) : [];
  let next = 0;
  return live.map((alive) => (alive ? (outputs[next++] as WorkOutput) : { data: new Float32Array(0), rows: 0, cols: 0, skipped: true }));
}

/** Texts per forward pass inside one library call (the library's default). */
const LIBRARY_BATCH_SIZE = 32;

/** A stable key: equal keys mean the inputs may be computed by one library call. */
export function specKey(spec: WorkSpec): string {
  return JSON.stringify([spec.op, spec.normalize ?? null, spec.promptName ?? null, spec.dimensions ?? null, spec.rawScores ?? null]);
}

/** Computes one group: one library call, one output per input, each in its own buffer. */
export async function executeGroup(served: ServedModel, group: WorkGroup): Promise<WorkOutput[]> {
  const { spec, inputs } = group;
  if (spec.op === "predict") {
    if (served.kind === "embedding" || served.kind === "sparse") throw new SbertError("INVALID_OPERATION", "Model is not a classifier model");
    const ce = served.model;
    const opts = spec.rawScores ? { activation: "identity" as const } : { applySoftmax: ce.numLabels > 1 };
    const scores = await ce.predict(inputs as [string, string][], { ...opts, batchSize: LIBRARY_BATCH_SIZE });
    const cols = ce.numLabels;
    const data = scores instanceof Float32Array ? scores : scores.data;
    return inputs.map((_, i) => ({ data: data.slice(i * cols, (i + 1) * cols), rows: 1, cols }));
  }
  if (spec.op === "embed_sparse") {
    if (served.kind !== "sparse") throw new SbertError("INVALID_OPERATION", "Model is not an embedding model with SPLADE pooling");
    // one dense vocabulary-sized row per input (transferable from a worker thread); the route sparsifies
    const dense = (await served.model.encode(inputs as string[], { batchSize: LIBRARY_BATCH_SIZE, ...prompt(spec) })).toDense();
    return inputs.map((_, i) => ({ data: dense.data.slice(i * dense.cols, (i + 1) * dense.cols), rows: 1, cols: dense.cols }));
  }
  if (served.kind !== "embedding") throw new SbertError("INVALID_OPERATION", "Model is not an embedding model");
  const st = served.model;
  if (spec.op === "embed_all") {
    const perText = await st.encode(inputs as string[], { outputValue: "token_embeddings", batchSize: LIBRARY_BATCH_SIZE, ...prompt(spec) });
    return perText.map((m) => ({ data: m.data.slice(), rows: m.rows, cols: m.cols }));
  }
  if (spec.op === "embed_ids") return embedIds(served, inputs as number[][], spec);
  const emb = await st.encode(inputs as (string | { image: Uint8Array })[], {
    batchSize: LIBRARY_BATCH_SIZE,
    normalizeEmbeddings: spec.normalize === true,
    ...prompt(spec),
    ...(spec.dimensions !== undefined ? { truncateDim: spec.dimensions } : {}),
  });
  return inputs.map((_, i) => ({ data: Float32Array.from(emb.row(i)), rows: 1, cols: emb.cols }));
}

function prompt(spec: WorkSpec): { promptName?: string } {
  return spec.promptName !== undefined ? { promptName: spec.promptName } : {};
}

/**
 * Embeds token ids as given (no special tokens added, as TEI does for ids): the model's own
 * modules on a padded batch, then truncation to `dimensions` and the library's normalizeEmbeddings, the
 * steps `encode` takes after its tokenizer.
 */
async function embedIds(served: ServedModel & { kind: "embedding" }, rows: number[][], spec: WorkSpec): Promise<WorkOutput[]> {
  const st = served.model;
  const tok = textSide(served).tokenizer;
  const full = st.fullEmbeddingDimension();
  const dim = Math.min(spec.dimensions ?? st.truncateDim ?? full, full);
  const out: WorkOutput[] = [];
  for (let start = 0; start < rows.length; start += LIBRARY_BATCH_SIZE) {
    const chunk = rows.slice(start, start + LIBRARY_BATCH_SIZE);
    const batch = tok.padRows(chunk.map((ids) => ({ ids, typeIds: ids.map(() => 0) })));
    const f = await st.forward({ batch });
    const emb = f.sentenceEmbedding;
    if (!emb) throw new SbertError("INVALID_OPERATION", "the model's modules produced no sentence embedding");
    const width = emb.dim(-1);
    requireFiniteRows(emb.data, width, chunk.map((_, r) => start + r), "embed");
    const data = new Float32Array(chunk.length * dim);
    chunk.forEach((_, r) => data.set(emb.data.subarray(r * width, r * width + dim), r * dim));
    const final = spec.normalize ? normalizeEmbeddings(new DenseMatrix(data, chunk.length, dim)).data : data;
    chunk.forEach((_, r) => out.push({ data: final.slice(r * dim, (r + 1) * dim), rows: 1, cols: dim }));
  }
  return out;
}


/**
 * Whether one library call gives every input the same bits as a call with that input alone (true
 * for the native backend: padded keys are skipped, row sums do not depend on the batch). When
 * false, the queue stops merging different requests' inputs, so batching still changes nothing.
 */
export async function isBatchInvariant(served: ServedModel): Promise<boolean> {
  const long = "The quick brown fox jumps over the lazy dog, then runs far away into the forest and hides there until night falls. ".repeat(40);
  const texts = ["a", "The quick brown fox jumps over the lazy dog.", "Hello, world!", long, "Numbers 12345 and 3.14159", ""];
  const spec: WorkSpec = served.kind === "embedding" ? { op: "embed", normalize: true } : served.kind === "sparse" ? { op: "embed_sparse" } : { op: "predict", rawScores: true };
  const inputs: WorkInput[] = served.kind === "embedding" || served.kind === "sparse" ? texts : texts.map((t) => [t, "a query"] as const);
  const together = await executeGroup(served, { spec, inputs });
  for (let i = 0; i < inputs.length; i++) {
    const [alone] = await executeGroup(served, { spec, inputs: [inputs[i] as WorkInput] });
    const a = alone?.data ?? new Float32Array();
    const b = together[i]?.data ?? new Float32Array();
    if (a.length !== b.length || a.some((v, j) => !Object.is(v, b[j]))) return false;
  }
  return true;
}
