import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder, SbertError, SentenceTransformer } from "../src/index.js";
import { FIXTURES } from "./helpers/fixtures.js";
import { copyFixture } from "./helpers/temp-model.js";

async function errorOf(p: Promise<unknown>): Promise<SbertError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, "expected a rejection").toBeInstanceOf(SbertError);
  return e as SbertError;
}

/** Loads a damaged copy of a fixture and returns the typed error. */
async function loadDamaged(name: string, damage: (dir: string) => Promise<void>, load: (d: string) => Promise<unknown> = (d) => SentenceTransformer.load(d, { backend: "native" })): Promise<SbertError> {
  const { dir, cleanup } = await copyFixture(name);
  try {
    await damage(dir);
    return await errorOf(load(dir));
  } finally {
    await cleanup();
  }
}

describe("bad input to encode", () => {
  let model: SentenceTransformer;
  beforeAll(async () => {
    model = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"));
  });

  it("an empty list gives an empty 0 × dim matrix, as Python returns an empty array", async () => {
    const out = await model.encode([]);
    expect([out.rows, out.cols]).toEqual([0, 48]);
  });

  it("a 1 MB text is truncated to the max length and embeds like its first tokens", async () => {
    const big = "word ".repeat(200_000);
    const [a, b] = [await model.encode([big]), await model.encode(["word ".repeat(30)])];
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it("lone surrogates do not crash", async () => {
    const out = await model.encode(["bad \ud800 text", "\udfff"]);
    expect(out.rows).toBe(2);
    expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
  });

  it.each([
    ["a non-string text", () => model.encode(["ok", 5 as unknown as string])],
    ["null texts", () => model.encode(null as unknown as string[])],
    ["batchSize 0", () => model.encode(["x"], { batchSize: 0 })],
    ["an unknown prompt name", () => model.encode(["x"], { promptName: "nope" })],
    ["a prompt name that is only an Object.prototype key", () => model.encode(["x"], { promptName: "toString" })],
    ["truncateDim 0", () => model.encode(["x"], { truncateDim: 0 })],
    ["an unknown precision", () => model.encode(["x"], { precision: "int4" as "int8" })],
    ["an unknown outputValue", () => model.encode(["x"], { outputValue: "logits" as "token_embeddings" })],
  ])("%s is INVALID_INPUT", async (_what, call) => {
    expect((await errorOf(call())).code).toBe("INVALID_INPUT");
  });
});

describe("corrupt or malicious model folders", () => {
  it("a missing tokenizer.json is FILE_NOT_FOUND naming the file", async () => {
    const e = await loadDamaged("st-bert-mean", (d) => rm(join(d, "tokenizer.json")));
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toContain("tokenizer.json");
  });

  it("missing weights are FILE_NOT_FOUND; pickle-only weights are refused with a conversion hint", async () => {
    expect((await loadDamaged("st-bert-mean", (d) => rm(join(d, "model.safetensors")))).code).toBe("FILE_NOT_FOUND");
    const e = await loadDamaged("st-bert-mean", async (d) => {
      await rm(join(d, "model.safetensors"));
      await writeFile(join(d, "pytorch_model.bin"), "not really a pickle");
    });
    expect(e.code).toBe("UNSUPPORTED_FORMAT");
    expect(e.message).toMatch(/safetensors/);
  });

  it("a truncated safetensors file is INVALID_MODEL_FILE", async () => {
    const e = await loadDamaged("st-bert-mean", (d) => truncate(join(d, "model.safetensors"), 5000));
    expect(e.code).toBe("INVALID_MODEL_FILE");
  });

  it("a safetensors header that lies about a shape is refused", async () => {
    const e = await loadDamaged("st-bert-mean", async (d) => {
      const path = join(d, "model.safetensors");
      const bytes = await readFile(path);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = bytes.subarray(8, 8 + n).toString("utf8").replace('"shape":[1000,48]', '"shape":[1000,49]');
      await writeFile(path, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + n)]));
    });
    expect(["INVALID_MODEL_FILE", "CONFIG_MISMATCH"]).toContain(e.code);
  });

  it("weights that do not match config.json are CONFIG_MISMATCH", async () => {
    const e = await loadDamaged("st-bert-mean", async (d) => {
      const cfg = JSON.parse(await readFile(join(d, "config.json"), "utf8")) as Record<string, unknown>;
      await writeFile(join(d, "config.json"), JSON.stringify({ ...cfg, intermediate_size: 64 }));
    });
    expect(e.code).toBe("CONFIG_MISMATCH");
  });

  it("an unknown module type is UNKNOWN_MODULE naming it", async () => {
    const e = await loadDamaged("st-bert-mean", async (d) => {
      const mods = JSON.parse(await readFile(join(d, "modules.json"), "utf8")) as { type: string }[];
      (mods[1] as { type: string }).type = "sentence_transformers.models.LSTM";
      await writeFile(join(d, "modules.json"), JSON.stringify(mods));
    });
    expect(e.code).toBe("UNKNOWN_MODULE");
    expect(e.message).toContain("sentence_transformers.models.LSTM");
  });

  it("a module path that escapes the folder is refused", async () => {
    for (const path of ["../1_Pooling", "/etc", "a/../../b"]) {
      const e = await loadDamaged("st-bert-mean", async (d) => {
        const mods = JSON.parse(await readFile(join(d, "modules.json"), "utf8")) as { path: string }[];
        (mods[1] as { path: string }).path = path;
        await writeFile(join(d, "modules.json"), JSON.stringify(mods));
      });
      expect(e.code).toBe("INVALID_MODEL_FILE");
    }
  });

  it("a Dense whose size does not match its weights is CONFIG_MISMATCH", async () => {
    const e = await loadDamaged("st-bert-cls-dense-normalize", async (d) => {
      const dense = join(d, "2_Dense", "config.json");
      const cfg = JSON.parse(await readFile(dense, "utf8")) as Record<string, unknown>;
      await writeFile(dense, JSON.stringify({ ...cfg, out_features: 7 }));
    });
    expect(e.code).toBe("CONFIG_MISMATCH");
  });

  it("invalid JSON in a config is INVALID_MODEL_FILE naming the file", async () => {
    const e = await loadDamaged("st-bert-mean", (d) => writeFile(join(d, "1_Pooling", "config.json"), "{ nope"));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toContain("config.json");
  });

  it("an unsupported model_type names the supported ones", async () => {
    const e = await loadDamaged("st-bert-mean", async (d) => {
      const cfg = JSON.parse(await readFile(join(d, "config.json"), "utf8")) as Record<string, unknown>;
      await writeFile(join(d, "config.json"), JSON.stringify({ ...cfg, model_type: "llama" }));
    });
    expect(e.code).toBe("UNSUPPORTED_FORMAT");
    expect(e.message).toContain("bert");
  });

  it("a corrupt ONNX graph is INVALID_MODEL_FILE on the onnx backend", async () => {
    const e = await loadDamaged("st-bert-mean", (d) => writeFile(join(d, "onnx", "model.onnx"), "garbage"), (d) => SentenceTransformer.load(d, { backend: "onnx" }));
    expect(e.code).toBe("INVALID_MODEL_FILE");
  });

  it("an ONNX graph with unexpected input names is INVALID_MODEL_FILE naming the inputs", async () => {
    const e = await loadDamaged(
      "st-bert-mean",
      async (d) => {
        const path = join(d, "onnx", "model.onnx");
        const bytes = await readFile(path);
        // same length, so the protobuf stays valid: the graph's input is now "input_idz"
        await writeFile(path, Buffer.from(bytes.toString("latin1").replaceAll("input_ids", "input_idz"), "latin1"));
      },
      (d) => SentenceTransformer.load(d, { backend: "onnx" }),
    );
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toContain("input_ids");
  });

  it("an ONNX graph whose hidden size disagrees with config.json is CONFIG_MISMATCH", async () => {
    const e = await loadDamaged(
      "st-bert-mean",
      async (d) => {
        const cfg = JSON.parse(await readFile(join(d, "config.json"), "utf8")) as Record<string, unknown>;
        await writeFile(join(d, "config.json"), JSON.stringify({ ...cfg, hidden_size: 64 }));
      },
      async (d) => (await SentenceTransformer.load(d, { backend: "onnx" })).encode(["some text"]),
    );
    expect(e.code).toBe("CONFIG_MISMATCH");
    expect(e.message).toMatch(/hidden/);
  });

  it("an unknown backend name is INVALID_INPUT", async () => {
    const e = await errorOf(SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "gpu" as "onnx" }));
    expect(e.code).toBe("INVALID_INPUT");
  });

  it("a bi-encoder folder is not a cross-encoder", async () => {
    const e = await errorOf(CrossEncoder.load(join(FIXTURES, "st-bert-mean")));
    expect(e.code).toBe("INVALID_MODEL_FILE");
  });
});
