/**
 * The config.json spellings of the RoPE architectures (qwen3, gemma3_text, modernbert): the
 * transformers-4 keys the Hub's checkpoints still carry (EmbeddingGemma's rope_theta /
 * rope_local_base_freq, ModernBERT's global_rope_theta / local_rope_theta /
 * global_attn_every_n_layers) give the fixtures' golden embeddings, as the transformers-5 keys do;
 * what the definitions do not implement is refused with a typed error.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SentenceTransformer } from "../src/index.js";
import { failure } from "./helpers/errors.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";
import { copyFixture } from "./helpers/temp-model.js";

type Json = Record<string, unknown>;

/** A copy of fixture `name` whose config.json is `edit`ed, loaded natively; `use` runs on it. */
async function withConfig(name: string, edit: (cfg: Json) => void, use: (model: () => Promise<SentenceTransformer>) => Promise<void>): Promise<void> {
  const { dir, cleanup } = await copyFixture(name);
  try {
    const cfg = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Json;
    edit(cfg);
    await writeFile(join(dir, "config.json"), JSON.stringify(cfg));
    await use(() => SentenceTransformer.load(dir, { backend: "native" }));
  } finally {
    await cleanup();
  }
}

async function expectGolden(name: string, model: SentenceTransformer): Promise<void> {
  const g = readGolden(join(FIXTURES, name));
  expect(maxAbsDiff(await model.encode(g["sentences"] as string[], { batchSize: 4 }), g["embeddings"])).toBeLessThanOrEqual(1e-5);
}

describe("transformers-4 config keys", () => {
  it("gemma3_text: rope_theta (full) and rope_local_base_freq (sliding) instead of rope_parameters", async () => {
    await withConfig(
      "st-gemma3-mean-dense",
      (cfg) => {
        delete cfg["rope_parameters"];
        Object.assign(cfg, { rope_theta: 1_000_000, rope_local_base_freq: 10_000, rope_scaling: null });
      },
      async (load) => expectGolden("st-gemma3-mean-dense", await load()),
    );
  });

  it("modernbert: global / local rope thetas and global_attn_every_n_layers instead of rope_parameters / layer_types", async () => {
    await withConfig(
      "st-modernbert-mean",
      (cfg) => {
        delete cfg["rope_parameters"];
        delete cfg["layer_types"];
        Object.assign(cfg, { global_rope_theta: 160_000, local_rope_theta: 10_000, global_attn_every_n_layers: 2 });
      },
      async (load) => expectGolden("st-modernbert-mean", await load()),
    );
  });

  it("qwen3: a top-level rope_theta", async () => {
    await withConfig(
      "st-qwen3-lasttoken",
      (cfg) => {
        delete cfg["rope_parameters"];
        cfg["rope_theta"] = 1_000_000;
      },
      async (load) => expectGolden("st-qwen3-lasttoken", await load()),
    );
  });

  // the keys are read, not defaulted: another window or sliding-layer base moves the embeddings
  it.each([
    ["st-gemma3-mean-dense", { sliding_window: 2 }],
    ["st-gemma3-mean-dense", { rope_parameters: null, rope_theta: 1_000_000, rope_local_base_freq: 500 }],
    ["st-modernbert-mean", { rope_parameters: null, layer_types: null, global_rope_theta: 160_000, local_rope_theta: 500, global_attn_every_n_layers: 2 }],
  ] as const)("%s with %j gives other embeddings", async (name, patch) => {
    await withConfig(
      name,
      (cfg) => Object.assign(cfg, patch),
      async (load) => {
        const g = readGolden(join(FIXTURES, name));
        const emb = await (await load()).encode(g["sentences"] as string[], { batchSize: 4 });
        expect(maxAbsDiff(emb, g["embeddings"])).toBeGreaterThan(1e-3);
      },
    );
  });
});

describe("what the definitions refuse", () => {
  it.each([
    ["st-qwen3-lasttoken", { rope_parameters: { rope_type: "yarn", rope_theta: 1e6, factor: 4 } }, "UNSUPPORTED_FORMAT", /rope_type "yarn"/],
    ["st-qwen3-lasttoken", { use_sliding_window: true }, "UNSUPPORTED_FORMAT", /use_sliding_window/],
    ["st-qwen3-lasttoken", { num_key_value_heads: 3 }, "INVALID_MODEL_FILE", /num_key_value_heads/],
    ["st-modernbert-mean", { num_attention_heads: 5 }, "INVALID_MODEL_FILE", /hidden size 48 is not divisible by the 5 attention heads/],
    ["st-bert-mean", { num_attention_heads: 5 }, "INVALID_MODEL_FILE", /hidden size 48 is not divisible by the 5 attention heads/],
    ["st-gemma3-mean-dense", { attn_logit_softcapping: 50 }, "UNSUPPORTED_FORMAT", /attn_logit_softcapping/],
    ["st-gemma3-mean-dense", { layer_types: ["full_attention"] }, "INVALID_MODEL_FILE", /layer_types/],
    ["st-modernbert-mean", { rope_parameters: { full_attention: { rope_type: "linear", rope_theta: 1, factor: 2 }, sliding_attention: { rope_theta: 1 } } }, "UNSUPPORTED_FORMAT", /rope_type "linear"/],
  ] as const)("%s with %j: %s", async (name, patch, code, message) => {
    await withConfig(
      name,
      (cfg) => Object.assign(cfg, patch),
      async (load) => {
        const e = await failure(load());
        expect(e.code).toBe(code);
        expect(e.message).toMatch(message);
      },
    );
  });
});
