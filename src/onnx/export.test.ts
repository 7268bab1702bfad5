import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fixture, FIXTURES, biEncoderFixtures, crossEncoderFixtures, maxAbsDiff } from "../../test/helpers/fixtures.js";
import { parseEncoderConfig } from "../architectures/config.js";
import { createEncoder } from "../architectures/registry.js";
import { CrossEncoder } from "../models/cross-encoder.js";
import { loadParamStore } from "../modules/weights.js";
import { buildOnnxModel } from "./export.js";
import type { ModelSpec } from "./graph.js";
import { summarizeOnnx } from "./proto-reader.js";
import { encodeModel } from "./proto-writer.js";

/** Exported graphs against Python: max abs diff ≤ 1e-5, as every other numeric path. */
const TOL = 1e-5;

interface Batch {
  rows: number[][];
  mask: number[][];
  types: number[][];
}

async function open(model: ModelSpec): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(Buffer.concat(encodeModel(model)), { intraOpNumThreads: 1 });
}

/** Runs the graph, feeding only the inputs it declares (token_type_ids for BERT only). */
async function run(s: ort.InferenceSession, b: Batch): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const dims = [b.rows.length, b.rows[0]?.length ?? 0];
  const t = (a: number[][]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(a.flat(), (v) => BigInt(v)), dims);
  const feeds: Record<string, ort.Tensor> = { input_ids: t(b.rows), attention_mask: t(b.mask) };
  if (s.inputNames.includes("token_type_ids")) feeds["token_type_ids"] = t(b.types);
  const out = await s.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: v.data as Float32Array, dims: v.dims.map(Number) }]));
}

function goldenBatch(g: Record<string, unknown>): Batch {
  const bt = g["batch_tokenize"] as Record<string, number[][]>;
  const rows = bt["input_ids"] as number[][];
  return { rows, mask: bt["attention_mask"] as number[][], types: bt["token_type_ids"] ?? rows.map((r) => r.map(() => 0)) };
}

/** Rows of `x` (B, T, H) for `row`'s positions `at` (default the first `len`), as nested arrays. */
function tokens(x: { data: Float32Array; dims: number[] }, row: number, len: number, at?: readonly number[]): number[][] {
  const [, t, h] = x.dims as [number, number, number];
  const positions = at ?? Array.from({ length: len }, (_, i) => i);
  return positions.map((i) => Array.from(x.data.subarray((row * t + i) * h, (row * t + i + 1) * h)));
}

/** Positions of a row's real tokens (attention mask 1): the first ones with right padding, the last ones with left padding (Qwen3). */
function realPositions(mask: readonly number[]): number[] {
  return mask.flatMap((m, i) => (m === 1 ? [i] : []));
}

function rowsOf(x: { data: Float32Array; dims: number[] }): number[][] {
  const [b, d] = x.dims as [number, number];
  return Array.from({ length: b }, (_, r) => Array.from(x.data.subarray(r * d, (r + 1) * d)));
}

/** Max abs diffs per fixture, printed once for the record. */
const report: string[] = [];
afterAll(() => console.info(`ONNX export max abs diff vs Python:\n${report.join("\n")}`));

describe.each(biEncoderFixtures().map((f) => [f.name, f] as const))("bi-encoder %s", (name, fx: Fixture) => {
  const g = fx.golden;
  const batch = goldenBatch(g);
  let plain: ort.InferenceSession;
  let pooled: ort.InferenceSession;
  beforeAll(async () => {
    [plain, pooled] = await Promise.all([open(await buildOnnxModel(fx.dir)), open(await buildOnnxModel(fx.dir, { withPooling: true }))]);
  });

  it(`last_hidden_state of real tokens within ${TOL}`, async () => {
    const out = (await run(plain, batch))["last_hidden_state"];
    // Python's rows are cut after the last real token, so with left padding they start with the pads of their own 2-row batch: compare the real tokens
    const expected = (g["token_embeddings_for_sentences_1_2"] as number[][][]).map((rows, k) => rows.slice(-realPositions(batch.mask[k + 1] as number[]).length));
    const got = expected.map((_, k) => tokens(out as NonNullable<typeof out>, k + 1, 0, realPositions(batch.mask[k + 1] as number[])));
    const diff = maxAbsDiff(got, expected);
    report.push(`${name} last_hidden_state ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  it(`--with-pooling sentence_embedding within ${TOL} of forward()`, async () => {
    const out = await run(pooled, batch);
    expect(Object.keys(out).sort()).toEqual(["sentence_embedding", "token_embeddings"]);
    const diff = maxAbsDiff(rowsOf(out["sentence_embedding"] as NonNullable<(typeof out)[string]>), g["forward_padded_batch_sentence_embedding"]);
    report.push(`${name} sentence_embedding ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  it("a sentence alone equals its row in the padded batch", async () => {
    const row = 1;
    const real = realPositions(batch.mask[row] as number[]);
    const len = real.length;
    const pick = (r: number[]): number[] => real.map((i) => r[i] as number);
    const alone: Batch = { rows: [pick(batch.rows[row] as number[])], mask: [Array(len).fill(1)], types: [pick(batch.types[row] as number[])] };
    const [a, b] = await Promise.all([run(pooled, alone), run(pooled, batch)]);
    const sa = a["sentence_embedding"] as NonNullable<(typeof a)[string]>;
    const sb = b["sentence_embedding"] as NonNullable<(typeof b)[string]>;
    expect(maxAbsDiff(rowsOf(sa)[0], rowsOf(sb)[row])).toBeLessThanOrEqual(TOL);
    const ta = tokens(a["token_embeddings"] as NonNullable<(typeof a)[string]>, 0, len);
    expect(maxAbsDiff(ta, tokens(b["token_embeddings"] as NonNullable<(typeof b)[string]>, row, len, real))).toBeLessThanOrEqual(TOL);
  });
});

describe.each(crossEncoderFixtures().map((f) => [f.name, f] as const))("cross-encoder %s", (name, fx: Fixture) => {
  it(`logits within ${TOL} of Python`, async () => {
    const model = await buildOnnxModel(fx.dir);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(["logits"]);
    const ce = await CrossEncoder.load(fx.dir, { backend: "native" });
    const tb = ce.transformer.tokenize(fx.golden["pairs"] as [string, string][]);
    const rows = (a: Int32Array): number[][] => Array.from({ length: tb.batchSize }, (_, r) => Array.from(a.subarray(r * tb.seqLen, (r + 1) * tb.seqLen)));
    const out = await run(await open(model), { rows: rows(tb.inputIds), mask: rows(tb.attentionMask), types: rows(tb.tokenTypeIds) });
    const diff = maxAbsDiff(rowsOf(out["logits"] as NonNullable<(typeof out)[string]>), fx.golden["logits_identity_activation"]);
    report.push(`${name} logits ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

describe("graph interface", () => {
  const optimum = join(FIXTURES, "st-bert-mean", "onnx", "model.onnx");

  it("uses the input/output names and opset of the Optimum/torch export in st-bert-mean/onnx", async () => {
    const theirs = summarizeOnnx(readFileSync(optimum));
    const ours = summarizeOnnx(Buffer.concat(encodeModel(await buildOnnxModel(join(FIXTURES, "st-bert-mean")))));
    expect(ours.inputs).toEqual(theirs.inputs);
    expect(ours.outputs).toEqual(theirs.outputs);
    expect(ours.opsets[""]).toBe(theirs.opsets[""]);
    expect(ours.opsets[""]).toBe(17);
    expect(ours.irVersion).toBe(8);
    expect(ours.opCounts["Erf"]).toBe(2);
    expect(ours.opCounts["LayerNormalization"]).toBe(5);
  });

  it("gives the same last_hidden_state as the torch export on every position", async () => {
    const fx = join(FIXTURES, "st-bert-mean");
    const batch = goldenBatch(JSON.parse(readFileSync(join(fx, "golden.json"), "utf8")) as Record<string, unknown>);
    const theirs = await run(await ort.InferenceSession.create(optimum), batch);
    const ours = await run(await open(await buildOnnxModel(fx)), batch);
    const a = ours["last_hidden_state"] as NonNullable<(typeof ours)[string]>;
    expect(a.dims).toEqual(theirs["last_hidden_state"]?.dims);
    expect(maxAbsDiff(a.data, theirs["last_hidden_state"]?.data)).toBeLessThanOrEqual(TOL);
  });

  it.each([
    ["st-bert-mean", ["input_ids", "attention_mask", "token_type_ids"]],
    ["st-distilbert-cased-mean", ["input_ids", "attention_mask"]],
    ["st-roberta-bpe-mean-normalize", ["input_ids", "attention_mask"]],
    ["st-xlmr-spm-mean-dense", ["input_ids", "attention_mask"]],
    ["st-mpnet-mean-normalize", ["input_ids", "attention_mask"]],
  ])("%s takes %j with dynamic batch_size × sequence_length", async (name, inputs) => {
    const model = await buildOnnxModel(join(FIXTURES, name));
    expect(model.graph.inputs.map((i) => i.name)).toEqual(inputs);
    for (const i of model.graph.inputs) expect(i.dims).toEqual(["batch_size", "sequence_length"]);
    expect(model.graph.outputs.map((o) => [o.name, o.dims])).toEqual([["last_hidden_state", ["batch_size", "sequence_length", 48]]]);
  });
});

describe("MPNet relative position bias for any length", () => {
  it("matches the native encoder at lengths 1, 7, 33 and the longest the position table allows", async () => {
    const dir = join(FIXTURES, "st-mpnet-mean-normalize");
    const config = parseEncoderConfig(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")));
    const encoder = createEncoder(config, await loadParamStore(dir));
    const s = await open(await buildOnnxModel(dir));
    const longest = config.maxPositionEmbeddings - config.padTokenId - 1;
    for (const t of [1, 7, 33, longest]) {
      const ids = Array.from({ length: t }, (_, i) => 5 + ((i * 37) % (config.vocabSize - 5)));
      const out = (await run(s, { rows: [ids], mask: [ids.map(() => 1)], types: [ids.map(() => 0)] }))["last_hidden_state"];
      const native = encoder.forward({ batchSize: 1, seqLen: t, inputIds: Int32Array.from(ids), attentionMask: new Int32Array(t).fill(1), tokenTypeIds: new Int32Array(t) });
      expect(maxAbsDiff(out?.data, native.data), `T=${t}`).toBeLessThanOrEqual(TOL);
    }
  });
});
