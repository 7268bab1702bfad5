import { expect, it } from "vitest";
import { parseModulesJson, wantedFiles } from "./model-files.js";

const MODULES = parseModulesJson(
  JSON.stringify([
    { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
    { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.sentence_transformer.modules.pooling.Pooling" },
    { idx: 2, name: "2", path: "./2_Dense/", type: "sentence_transformers.base.modules.dense.Dense" },
    { idx: 3, name: "3", path: "3_Normalize", type: "sentence_transformers.models.Normalize" },
  ]),
  "modules.json",
);

it("lists the files each module reads, required first-class, and never pickle or ONNX by default", () => {
  const files = wantedFiles(MODULES);
  expect(files.filter((f) => f.required).map((f) => f.path)).toEqual(["config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors"]);
  expect(files.filter((f) => !f.required).map((f) => f.path)).toEqual(["config_sentence_transformers.json", "sentence_bert_config.json", "tokenizer_config.json", "special_tokens_map.json"]);
});

it("onnxFile swaps the Transformer's safetensors for onnx/<file> (+ optional _data); extraFiles are required", () => {
  const files = wantedFiles(MODULES, { onnxFile: "model_O4.onnx", extraFiles: ["README.md"] });
  const paths = files.map((f) => f.path);
  expect(paths).not.toContain("model.safetensors");
  expect(paths).toContain("2_Dense/model.safetensors");
  expect(files.find((f) => f.path === "onnx/model_O4.onnx")?.required).toBe(true);
  expect(files.find((f) => f.path === "onnx/model_O4.onnx_data")?.required).toBe(false);
  expect(files.find((f) => f.path === "README.md")?.required).toBe(true);
});

it("no modules.json: a Transformer at the root; old folder-per-module layouts are followed", () => {
  expect(wantedFiles(undefined).filter((f) => f.required).map((f) => f.path)).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
  const old = parseModulesJson('[{"idx":0,"path":"0_BERT","type":"sentence_transformers.models.BERT"},{"idx":1,"path":"0_Transformer","type":"sentence_transformers.models.Transformer"}]', "m");
  const paths = wantedFiles(old).map((f) => f.path);
  expect(paths).toContain("0_BERT/config.json");
  expect(paths).toContain("0_Transformer/tokenizer.json");
});
