/**
 * The Transformer module does not import the ONNX exporter (a layer above it): the exporter comes
 * in as `onnxGraph`, which `loadPipeline` (SentenceTransformer / CrossEncoder.load) passes.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SbertError } from "../src/errors.js";
import { SentenceTransformer } from "../src/models/sentence-transformer.js";
import { type OnnxGraphSource, Transformer } from "../src/modules/transformer.js";
import { FIXTURES } from "./helpers/fixtures.js";

const DIR = join(FIXTURES, "st-bert-mean"); // has onnx/model.onnx only
const INT8 = "model_qint8_avx512_vnni.onnx";

describe("Transformer.load: the ONNX graph source is passed in", () => {
  it("asks the given onnxGraph for a graph the folder lacks, with the task, file name and cache", async () => {
    const calls: Parameters<OnnxGraphSource>[] = [];
    const marker = new SbertError("INVALID_OPERATION", "marker");
    const onnxGraph: OnnxGraphSource = (...args) => {
      calls.push(args);
      return Promise.reject(marker);
    };
    await expect(Transformer.load(DIR, { backend: "onnx", onnxFile: INT8, onnxCache: false, onnxGraph })).rejects.toBe(marker);
    expect(calls).toEqual([[DIR, { task: "feature-extraction", fileName: INT8, onnxCache: false }]]);
  });

  it("without one, a missing graph is FILE_NOT_FOUND that says how to get it exported", async () => {
    await expect(Transformer.load(DIR, { backend: "onnx", onnxFile: INT8 })).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
      message: expect.stringMatching(/model_qint8_avx512_vnni\.onnx is missing; load the model with SentenceTransformer\.load/),
    });
  });

  it("SentenceTransformer.load passes the exporter, which builds only the default graphs", async () => {
    await expect(SentenceTransformer.load(DIR, { backend: "onnx", onnxFile: "other.onnx" })).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
      message: expect.stringMatching(/other\.onnx is missing; only model\.onnx and model_qint8_avx512_vnni\.onnx are built on first use/),
    });
  });
});
