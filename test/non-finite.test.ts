/**
 * NaN / infinite model outputs are an error (`NON_FINITE_OUTPUT`, naming the input rows), on both
 * engines, for every output kind: before, they were written as JSON `null` with exit 0, and
 * `precision: "binary"` turned NaN into -128. NaN weights are refused at load (tested here too),
 * so the models are fixtures with finite but huge weights that overflow in the forward pass: the
 * embedding row of the token "cat" gets 3.4e38 (float32's largest value) in dimension 0 and the
 * token-type rows get 1e37 there, so the embedding sum of "cat" overflows to +Infinity on both
 * engines (and layer norm turns it into NaN), while other tokens stay finite. Only texts
 * containing "cat" produce non-finite outputs.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder, SbertError, SentenceTransformer } from "../src/index.js";
import { exportOnnx } from "../src/onnx/index.js";
import { readSafetensors, writeSafetensors } from "../src/tensor/index.js";
import { toFloat32Array } from "../src/io/safetensors.js";
import type { BackendName } from "../src/backends/backend.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const CAT = 300; // the token id of "cat" in the fixtures' vocabulary
let tmp: string;
let stDir: string;
let ceDir: string;
let nanDir: string;

/**
 * Copies a fixture (without its onnx/ folder), makes the "cat" embedding overflow as described
 * above (or, with `nan`, writes NaN into its row), exports its ONNX graph into the copy.
 */
async function poisoned(name: string, nan = false): Promise<string> {
  const dir = join(tmp, nan ? `${name}-nan` : name);
  await cp(join(FIXTURES, name), dir, { recursive: true, filter: (src) => !src.includes(`${name}/onnx`) && !src.endsWith("onnx_check.json") });
  const file = await readSafetensors(join(dir, "model.safetensors"));
  const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [n, t] of file) tensors[n] = { shape: t.shape, data: toFloat32Array(t) };
  const words = Object.entries(tensors).find(([n]) => n.endsWith("embeddings.word_embeddings.weight"))![1];
  const types = Object.entries(tensors).find(([n]) => n.endsWith("embeddings.token_type_embeddings.weight"))![1];
  const hidden = words.shape[1]!;
  if (nan) words.data.fill(NaN, CAT * hidden, (CAT + 1) * hidden);
  else {
    words.data[CAT * hidden] = 3.4e38;
    for (let row = 0; row < types.shape[0]!; row++) types.data[row * hidden] = 1e37;
    expect(Object.values(tensors).every((t) => t.data.every(Number.isFinite))).toBe(true);
  }
  await writeSafetensors(join(dir, "model.safetensors"), tensors, file.metadata);
  if (!nan) await exportOnnx(dir);
  return dir;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-nan-"));
  stDir = await poisoned("st-bert-mean");
  ceDir = await poisoned("ce-bert-1label");
  nanDir = await poisoned("st-bert-mean", true);
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown>): Promise<SbertError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, "expected NON_FINITE_OUTPUT").toBeInstanceOf(SbertError);
  expect((e as SbertError).code).toBe("NON_FINITE_OUTPUT");
  return e as SbertError;
}

const TEXTS = ["a dog runs", "a cat sits", "the dog barks", "cat"];

describe.each<BackendName>(["native", "onnx"])("%s backend", (backend) => {
  it("encode refuses NaN embeddings for every output kind and precision, naming the rows", async () => {
    const model = await SentenceTransformer.load(stDir, { backend });
    try {
      expect(model.transformer.backend.name).toBe(backend);
      const e = await errorOf(model.encode(TEXTS));
      expect(e.message).toContain("rows 1, 3 (rows from 0)");
      expect(e.message).toMatch(/NaN or infinite weights/);
      await errorOf(model.encode(TEXTS, { normalizeEmbeddings: true }));
      for (const precision of ["int8", "uint8", "binary", "ubinary"] as const) await errorOf(model.encode(TEXTS, { precision }));
      const tokens = await errorOf(model.encode(TEXTS, { outputValue: "token_embeddings" }));
      expect(tokens.message).toContain("rows 1, 3");
      // texts without the token are computed as before: the check does not touch finite rows
      const ok = await model.encode(["a dog runs", "the dog barks"]);
      expect(ok.data.every(Number.isFinite)).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it("predict and rank refuse NaN scores, naming the pairs", async () => {
    const ce = await CrossEncoder.load(ceDir, { backend });
    try {
      const e = await errorOf(ce.predict([["a dog", "runs"], ["the dog", "a cat"]]));
      expect(e.message).toContain("CrossEncoder.predict");
      expect(e.message).toContain("row 1 (rows from 0)");
      await errorOf(ce.predict([["a dog", "a cat"]], { activation: "identity" }));
      await errorOf(ce.rank("a dog", ["runs", "a cat", "barks"]));
      expect(Array.from((await ce.predict([["a dog", "runs"]])) as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await ce.dispose();
    }
  });
});

describe("NaN weights", () => {
  it.each<BackendName>(["native", "onnx"])("are refused at load on the %s backend, naming the tensor and the count", async (backend) => {
    const e = await SentenceTransformer.load(nanDir, { backend }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SbertError);
    expect((e as SbertError).code).toBe("INVALID_MODEL_FILE");
    expect((e as SbertError).message).toMatch(/tensor "(bert\.)?embeddings\.word_embeddings\.weight" holds 48 NaN or infinite values/);
  });
});

describe("CLI", () => {
  it("sbert encode exits 1 with the rows instead of printing null", async () => {
    const r = await runCli(["encode", "-m", stDir, "--backend", "native", "--precision", "binary"], { stdin: TEXTS.join("\n") });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("NaN or infinite values for input rows 1, 3");
  });

  it("sbert predict exits 1 instead of printing null", async () => {
    const r = await runCli(["predict", "-m", ceDir, "--backend", "native"], { stdin: '["a dog", "a cat"]\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("NaN or infinite values for input row 0");
  });
});
