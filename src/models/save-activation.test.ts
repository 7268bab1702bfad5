import { readFileSync } from "node:fs";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { saveSentenceTransformer } from "./save.js";
import { SentenceTransformer } from "./sentence-transformer.js";

// Dense activations are saved through the one activation table (tensor/ops/elementwise.ts).
describe("saving a Dense activation", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "sbert-save-act-"));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  async function withActivation(name: string, act: string): Promise<{ src: string; model: SentenceTransformer }> {
    const src = join(tmp, name);
    await cp(join(FIXTURES, "st-bert-cls-dense-normalize"), src, { recursive: true });
    const cfgPath = join(src, "2_Dense", "config.json");
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as Record<string, unknown>;
    await writeFile(cfgPath, JSON.stringify({ ...cfg, activation_function: act }));
    return { src, model: await SentenceTransformer.load(src, { backend: "native" }) };
  }

  it("a hidden_act spelling is saved as the torch class path", async () => {
    const { src, model } = await withActivation("swish", "swish");
    const out = join(tmp, "swish-out");
    await saveSentenceTransformer(model, out, { sourceDir: src });
    expect(JSON.parse(readFileSync(join(out, "2_Dense", "config.json"), "utf8"))).toMatchObject({ activation_function: "torch.nn.modules.activation.SiLU" });
  });

  it("gelu_tanh is refused: its class path would load back as exact GELU", async () => {
    const { src, model } = await withActivation("gelu-new", "gelu_new");
    await expect(saveSentenceTransformer(model, join(tmp, "gelu-out"), { sourceDir: src })).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
  });
});
