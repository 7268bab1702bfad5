/**
 * `model.save(dir)` round-trips every model folder of the fixtures on both backends: save, load the
 * saved folder on the same backend, identical outputs (we measure max |Δ| = 0: the weights and the
 * graph are the ones it was loaded with). A folder saved from an ONNX-loaded model also equals the
 * native one: same JSON files byte for byte, same tensors, same native embeddings.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors, toFloat32Array } from "../src/io/safetensors.js";
import { folderModelKind } from "../src/modules/folder-kind.js";
import { CrossEncoder, SentenceTransformer } from "../src/index.js";
import { shardedFiles } from "./helpers/sharded.js";
import { FIXTURES, type Golden, allFixtures, crossEncoderFixtures, maxAbsDiff, multiVectorFixtures, sparseEncoderFixtures } from "./helpers/fixtures.js";

const TOL = 1e-6;
const BACKENDS = ["native", "onnx"] as const;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-save-round-trip-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Every model folder under test/fixtures: fixture roots with a config.json, and the training fixtures' model folders. */
function modelFolders(): { name: string; dir: string; golden: Golden }[] {
  const out: { name: string; dir: string; golden: Golden }[] = [];
  // sparse encoders are not bi-encoders (test/sparse-encoder.golden.test.ts covers them)
  const sparse = new Set(sparseEncoderFixtures().map((f) => f.dir));
  for (const f of allFixtures().filter((x) => !sparse.has(x.dir))) {
    if (existsSync(join(f.dir, "config.json"))) out.push(f);
    for (const sub of readdirSync(f.dir)) {
      const dir = join(f.dir, sub);
      if (statSync(dir).isDirectory() && existsSync(join(dir, "config.json")) && existsSync(join(dir, "modules.json"))) out.push({ name: `${f.name}/${sub}`, dir, golden: f.golden });
    }
  }
  return out;
}

const CROSS = new Set(crossEncoderFixtures().map((f) => f.dir));
// multi-vector folders are not bi-encoders; test/multi-vector-encoder.golden.test.ts round-trips them
const MULTI = new Set(multiVectorFixtures().map((f) => f.dir));
const biEncoders = modelFolders().filter((f) => !CROSS.has(f.dir) && !MULTI.has(f.dir));
const crossEncoders = modelFolders().filter((f) => CROSS.has(f.dir));

function sentencesOf(golden: Golden): string[] {
  const s = golden["sentences"];
  return Array.isArray(s) && s.length > 0 ? (s as string[]).slice(0, 8) : ["A man is eating food.", "", "Ünïcödé text, with punctuation!!"];
}

/** Every file under `dir` by relative path. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

/** The two saved folders hold the same JSON and tokenizer bytes and the same float tensors (the ONNX one may add its onnx/ graph). */
async function expectSameFolder(native: string, onnx: string): Promise<void> {
  const a = await files(native);
  expect((await files(onnx)).filter((f) => !f.startsWith("onnx"))).toEqual(a);
  for (const f of a) {
    if (f.endsWith(".safetensors")) {
      const [x, y] = [await readSafetensors(join(native, f)), await readSafetensors(join(onnx, f))];
      // the copied file may also hold integer buffers (position_ids) that the loader skips
      expect(y.names().filter((n) => y.info(n).dtype.startsWith("F") || y.info(n).dtype === "BF16")).toEqual(x.names());
      for (const n of x.names()) expect(toFloat32Array(y.get(n))).toEqual(toFloat32Array(x.get(n)));
    } else if (!f.endsWith("config_sentence_transformers.json")) {
      expect(readFileSync(join(onnx, f)), f).toEqual(readFileSync(join(native, f)));
    }
  }
}

describe("SentenceTransformer.save round-trips every bi-encoder folder", () => {
  it.each(biEncoders.map((f) => [f.name, f] as const))("%s", async (name, f) => {
    const texts = sentencesOf(f.golden);
    const saved: Record<string, string> = {};
    let nativeEmbeddings: unknown;
    for (const backend of BACKENDS) {
      const model = await SentenceTransformer.load(f.dir, { backend });
      // a prompt exercises include_prompt: false
      const opts = "query" in model.prompts ? { promptName: "query" } : {};
      const out = join(tmp, backend, name);
      await model.save(out);
      const again = await SentenceTransformer.load(out, { backend });
      const [a, b] = [await model.encode(texts, opts), await again.encode(texts, opts)];
      expect(maxAbsDiff(b, a)).toBeLessThanOrEqual(TOL);
      expect(again.modules.map((m) => m.typeName)).toEqual(model.modules.map((m) => m.typeName));
      expect(again.modules.map((m) => m.getConfigDict())).toEqual(model.modules.map((m) => m.getConfigDict()));
      expect([again.maxSeqLength, again.truncateDim, again.similarityFnName, again.prompts]).toEqual([model.maxSeqLength, model.truncateDim, model.similarityFnName, model.prompts]);
      expect((await folderModelKind(out))?.kind).not.toBe("cross-encoder");
      if (backend === "native") nativeEmbeddings = a;
      else expect(maxAbsDiff(await (await SentenceTransformer.load(out, { backend: "native" })).encode(texts, opts), nativeEmbeddings)).toBe(0);
      saved[backend] = out;
      await Promise.all([model.dispose(), again.dispose()]);
    }
    await expectSameFolder(saved["native"] as string, saved["onnx"] as string);
  });
});

describe("CrossEncoder.save round-trips every cross-encoder folder", () => {
  it.each(crossEncoders.map((f) => [f.name, f] as const))("%s", async (name, f) => {
    const pairs = (f.golden["pairs"] as [string, string][]).slice(0, 8);
    const saved: Record<string, string> = {};
    for (const backend of BACKENDS) {
      const model = await CrossEncoder.load(f.dir, { backend });
      const out = join(tmp, backend, name);
      await model.save(out);
      const again = await CrossEncoder.load(out, { backend });
      expect(maxAbsDiff(await again.logits(pairs), await model.logits(pairs))).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(await again.predict(pairs), await model.predict(pairs))).toBeLessThanOrEqual(TOL);
      expect([again.numLabels, again.defaultActivation, again.maxLength]).toEqual([model.numLabels, model.defaultActivation, model.maxLength]);
      expect((await folderModelKind(out))?.kind).toBe("cross-encoder");
      saved[backend] = out;
      await Promise.all([model.dispose(), again.dispose()]);
    }
    await expectSameFolder(saved["native"] as string, saved["onnx"] as string);
  });
});

describe("model.save", () => {
  it("keeps the ONNX graph an ONNX-loaded model ran on; a native one writes none; a sourceDir without config.json and unknown options are errors", async () => {
    const src = join(FIXTURES, "st-bert-mean");
    const model = await SentenceTransformer.load(src, { backend: "onnx" });
    const out = join(tmp, "with-graph");
    await model.save(out);
    expect(readFileSync(join(out, "onnx", "model.onnx"))).toEqual(readFileSync(join(src, "onnx", "model.onnx")));
    expect(readFileSync(join(out, "model.safetensors"))).toEqual(readFileSync(join(src, "model.safetensors")));
    await model.dispose();
    // a native model writes its weights from memory and no graph (it may have been trained since)
    const native = await SentenceTransformer.load(src, { backend: "native" });
    await native.save(join(tmp, "no-graph"));
    expect(existsSync(join(tmp, "no-graph", "onnx"))).toBe(false);
    await expect(native.save(join(tmp, "bad"), { sourceDir: tmp })).rejects.toThrow(/config\.json/);
    await expect(native.save(join(tmp, "bad"), { sourceDir: tmp, overWrite: true } as never)).rejects.toThrow(/overWrite/);
  });

  it("copies a sharded checkpoint (index and shards) from an ONNX-loaded model", async () => {
    const src = join(tmp, "sharded-src");
    for (const [name, bytes] of Object.entries(await shardedFiles(join(FIXTURES, "st-bert-mean")))) {
      if (name.startsWith("onnx/")) continue; // the graph is then exported from the shards
      await mkdir(dirname(join(src, name)), { recursive: true });
      await writeFile(join(src, name), bytes);
    }
    const model = await SentenceTransformer.load(src, { backend: "onnx" });
    const out = join(tmp, "sharded-out");
    await model.save(out);
    for (const f of ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]) expect(readFileSync(join(out, f))).toEqual(readFileSync(join(src, f)));
    expect(existsSync(join(out, "model.safetensors"))).toBe(false);
    const texts = ["A man is eating food.", "Hello"];
    expect(maxAbsDiff(await (await SentenceTransformer.load(out, { backend: "onnx" })).encode(texts), await model.encode(texts))).toBe(0);
  });
});
