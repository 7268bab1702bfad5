import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import * as ort from "onnxruntime-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { copyFixture } from "../../test/helpers/temp-model.js";
import { run } from "../cli/main.js";
import { SbertError } from "../errors.js";
import { ensureOnnxModel, onnxCacheFolder } from "./ensure.js";
import { buildOnnxModel, defaultOnnxFileName, exportOnnx } from "./export.js";
import { writeFileAtomic } from "../io/write-file-atomic.js";
import { writeOnnxModel } from "./write-model.js";

let root: string;
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-onnx-test-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  for (const c of cleanups.splice(0)) await c();
});

async function copy(name: string): Promise<string> {
  const { dir, cleanup } = await copyFixture(name);
  cleanups.push(cleanup);
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<SbertError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SbertError);
  return e as SbertError;
}

describe("exportOnnx", () => {
  it("writes <model>/onnx/model.onnx by default, loadable by ONNX Runtime, no temp file left", async () => {
    const dir = await copy("st-distilbert-cased-mean");
    const r = await exportOnnx(dir);
    expect(r).toMatchObject({ path: join(dir, "onnx", "model.onnx"), inputs: ["input_ids", "attention_mask"], outputs: ["last_hidden_state"], opset: 17 });
    expect((await stat(r.path)).size).toBe(r.bytes);
    expect(await readdir(join(dir, "onnx"))).toEqual(["model.onnx"]);
    const s = await ort.InferenceSession.create(r.path);
    expect(s.outputNames).toEqual(["last_hidden_state"]);
  });

  it("names files like the Hub: model_qint8_avx512_vnni.onnx, model_pooled.onnx", () => {
    expect(defaultOnnxFileName()).toBe("model.onnx");
    expect(defaultOnnxFileName({ quantize: "int8" })).toBe("model_qint8_avx512_vnni.onnx");
    expect(defaultOnnxFileName({ withPooling: true })).toBe("model_pooled.onnx");
    expect(defaultOnnxFileName({ withPooling: true, quantize: "int8" })).toBe("model_pooled_qint8_avx512_vnni.onnx");
  });

  it("refuses a missing output folder and leaves nothing behind", async () => {
    const missing = join(root, "no-such-folder");
    const e = await errorOf(exportOnnx(join(FIXTURES, "st-bert-mean"), { output: missing }));
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toContain(missing);
    expect(await readdir(root)).toEqual([]);
  });

  it("removes the temp file when a write fails midway", async () => {
    const path = join(root, "model.onnx");
    const bad = [new Uint8Array(10), { length: 2 ** 21 } as unknown as Uint8Array]; // not writable: fails after the temp file exists
    await expect(writeFileAtomic(path, bad)).rejects.toThrow();
    expect(await readdir(root)).toEqual([]);
  });

  it("can put the weights in an external-data file (what models over 2 GiB get), same outputs", async () => {
    const model = await buildOnnxModel(join(FIXTURES, "st-mpnet-mean-normalize"));
    const path = join(root, "model.onnx");
    const { externalData, bytes } = await writeOnnxModel(model, path, { externalData: true });
    expect(externalData).toBe(join(root, "model.onnx_data"));
    expect((await readdir(root)).sort()).toEqual(["model.onnx", "model.onnx_data"]);
    expect((await stat(path)).size + (await stat(externalData as string)).size).toBe(bytes);
    const inline = join(root, "inline.onnx");
    await writeOnnxModel(model, inline);
    expect((await stat(path)).size).toBeLessThan((await stat(inline)).size / 10); // only the graph and small tensors stay inline
    const ids = new ort.Tensor("int64", BigInt64Array.from([0n, 250n, 300n, 2n]), [1, 4]);
    const mask = new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n, 1n]), [1, 4]);
    const [a, b] = await Promise.all([path, inline].map(async (p) => (await (await ort.InferenceSession.create(p)).run({ input_ids: ids, attention_mask: mask }))["last_hidden_state"]?.data));
    expect(a).toEqual(b);
  });

  it("an unsupported model_type is UNSUPPORTED_FORMAT", async () => {
    const dir = await copy("st-bert-mean");
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, "config.json"), JSON.stringify({ ...config, model_type: "gpt2" }));
    const e = await errorOf(exportOnnx(dir, { output: root }));
    expect(e.code).toBe("UNSUPPORTED_FORMAT");
    expect(e.message).toMatch(/gpt2" has no native implementation here \(supported natively: bert/);
    expect(await readdir(root)).toEqual([]);
  });

  it("--with-pooling on a cross-encoder is INVALID_INPUT", async () => {
    const e = await errorOf(exportOnnx(join(FIXTURES, "ce-bert-1label"), { output: root, withPooling: true }));
    expect(e.code).toBe("INVALID_INPUT");
  });

  it("rejects a file name with a path in it", async () => {
    const e = await errorOf(exportOnnx(join(FIXTURES, "st-bert-mean"), { output: root, fileName: "../x.onnx" }));
    expect(e.code).toBe("INVALID_INPUT");
  });
});

describe("ensureOnnxModel", () => {
  it("returns the folder's own onnx/model.onnx when it exists", async () => {
    const dir = join(FIXTURES, "st-bert-mean");
    expect(await ensureOnnxModel(dir, { onnxCache: root })).toBe(join(dir, "onnx", "model.onnx"));
    expect(await readdir(root)).toEqual([]);
  });

  it("builds into <model>/onnx on first use and reuses it afterwards", async () => {
    const dir = await copy("st-mpnet-mean-normalize");
    const path = await ensureOnnxModel(dir, { onnxCache: root, quantize: "int8" });
    expect(path).toBe(join(dir, "onnx", "model_qint8_avx512_vnni.onnx"));
    const first = await stat(path);
    expect(await ensureOnnxModel(dir, { onnxCache: root, quantize: "int8" })).toBe(path);
    expect((await stat(path)).mtimeMs).toBe(first.mtimeMs);
    expect(await readdir(root)).toEqual([]);
  });

  it("caches elsewhere when the model folder cannot take an onnx/ folder, keyed by the weights' content", async () => {
    const dir = await copy("st-bert-mean-sqrt-len");
    await writeFile(join(dir, "onnx"), "not a folder");
    const path = await ensureOnnxModel(dir, { onnxCache: root });
    expect(path).toBe(join((await onnxCacheFolder(dir, { onnxCache: root })) as string, "model.onnx"));
    expect(path.startsWith(root)).toBe(true);
    expect(await ensureOnnxModel(dir, { onnxCache: root })).toBe(path);
    const before = await onnxCacheFolder(dir, { onnxCache: root });
    await utimes(join(dir, "model.safetensors"), new Date(), new Date(Date.now() + 5000));
    expect(await onnxCacheFolder(dir, { onnxCache: root })).toBe(before); // a new mtime is not new content
    expect(await onnxCacheFolder(dir, { onnxCache: root, withPooling: true })).not.toBe(before);
  });
});

describe("sbert export-onnx", () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await run(args, {
      stdin: Readable.from([]),
      stdout: { write: (s: string) => ((stdout += s), true) },
      stderr: { write: (s: string) => ((stderr += s), true) },
      env: {},
    });
    return { code, stdout, stderr };
  }

  it("exports with --output, --with-pooling and --quantize int8 and prints the result as JSON", async () => {
    const r = await cli(["export-onnx", "--model", join(FIXTURES, "st-xlmr-spm-mean-dense"), "--output", root, "--with-pooling", "--quantize", "int8"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      path: join(root, "model_pooled_qint8_avx512_vnni.onnx"),
      inputs: ["input_ids", "attention_mask"],
      outputs: ["token_embeddings", "sentence_embedding"],
      opset: 17,
    });
    const s = await ort.InferenceSession.create(out["path"] as string);
    expect(s.outputNames).toEqual(["token_embeddings", "sentence_embedding"]);
  });

  it("fails with status 1 for a missing model folder and 2 for a bad --quantize", async () => {
    const missing = await cli(["export-onnx", "--model", join(root, "nope"), "--output", root]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const bad = await cli(["export-onnx", "--model", join(FIXTURES, "st-bert-mean"), "--quantize", "int4"]);
    expect(bad.code).toBe(2);
  });
});
