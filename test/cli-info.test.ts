/** `sbert info`: a bi- and a cross-encoder described as text and as JSON, from what the library loads. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const ST = join(FIXTURES, "st-bert-mean");
const CE = join(FIXTURES, "ce-bert-3label");

describe("sbert info", () => {
  it("bi-encoder: modules with configs, dimension, max length, prompts, similarity, ONNX file in use", async () => {
    const json = await runCli(["info", "-m", ST, "--backend", "onnx", "--threads", "1", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      model: ST,
      folder: ST,
      kind: "sentence-transformer",
      architecture: "bert",
      engines: ["native", "onnx"],
      modules: [
        {
          idx: 0,
          name: "0",
          path: "",
          type: "sentence_transformers.base.modules.transformer.Transformer",
          config: { transformer_task: "feature-extraction", modality_config: { text: { method: "forward", method_output_name: "last_hidden_state" } }, module_output_name: "token_embeddings" },
        },
        { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.sentence_transformer.modules.pooling.Pooling", config: { embedding_dimension: 48, pooling_mode: "mean", include_prompt: true } },
      ],
      max_seq_length: 24,
      backend: "onnx",
      onnx_file: join("onnx", "model.onnx"),
      threads: 1,
      embedding_dimension: 48,
      full_embedding_dimension: 48,
      truncate_dim: null,
      similarity_fn_name: "cosine",
      prompts: { document: "passage: ", query: "query: " },
      default_prompt_name: null,
    });
    const text = await runCli(["info", "-m", ST, "--backend", "onnx", "--threads", "1"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`backend:             onnx (${join("onnx", "model.onnx")}), 1 thread\n`);
    expect(text.stdout).toContain("embedding dimension: 48\n");
    expect(text.stdout).toContain("max sequence length: 24 tokens\n");
    expect(text.stdout).toContain('prompts:             document="passage: ", query="query: "\n');
    expect(text.stdout).toContain("default prompt name: (none)\n");
    expect(text.stdout).toContain("similarity function: cosine\n");
    expect(text.stdout).toMatch(/\n {2}1 sentence_transformers\.sentence_transformer\.modules\.pooling\.Pooling \(1_Pooling\/\)\n {6}\{"embedding_dimension":48,"pooling_mode":"mean","include_prompt":true\}\n$/);
  });

  it("bi-encoder with a stored truncate_dim: the truncated and the full dimension", async () => {
    const r = await runCli(["info", "-m", join(FIXTURES, "st-bert-mean-truncdim"), "--backend", "native", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ embedding_dimension: 32, full_embedding_dimension: 48, truncate_dim: 32, backend: "native", onnx_file: null });
  });

  it("cross-encoder: labels, activation, max length; as text and JSON", async () => {
    const json = await runCli(["info", "-m", CE, "--backend", "native", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const info = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ kind: "cross-encoder", architecture: "bert", num_labels: 3, labels: ["LABEL_0", "LABEL_1", "LABEL_2"], activation: "identity", max_seq_length: 24, backend: "native", onnx_file: null });
    expect(info["modules"]).toEqual([
      {
        idx: 0,
        name: "0",
        path: "",
        type: "sentence_transformers.base.modules.transformer.Transformer",
        config: { transformer_task: "sequence-classification", modality_config: { text: { method: "forward", method_output_name: "logits" } }, module_output_name: "scores" },
      },
    ]);
    expect(info).not.toHaveProperty("embedding_dimension");
    const text = await runCli(["info", "-m", CE, "--backend", "native"]);
    expect(text.stdout).toContain("kind:                cross-encoder\n");
    expect(text.stdout).toContain("labels:              3: LABEL_0, LABEL_1, LABEL_2\n");
    expect(text.stdout).toContain("activation:          identity\n");
    expect(text.stdout).toContain("backend:             native, 1 thread\n");
  });

  it("a plain Hugging Face cross-encoder folder (no modules.json) lists its loaded Transformer", async () => {
    const r = await runCli(["info", "-m", join(FIXTURES, "ce-bert-1label-plainhf"), "--backend", "native", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: "cross-encoder", num_labels: 1, activation: "sigmoid", modules: [{ idx: 0, type: "Transformer" }] });
  });

  it("a missing folder is a runtime error; an unknown --backend a usage error", async () => {
    expect((await runCli(["info", "-m", join(FIXTURES, "nope")])).code).toBe(1);
    expect((await runCli(["info", "-m", ST, "--backend", "gpu"])).code).toBe(2);
  });
});
