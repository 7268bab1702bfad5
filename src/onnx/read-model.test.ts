import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { folderModelKind } from "../modules/folder-kind.js";
import { exportSource, loadForExport } from "./read-model.js";

const readExportSource = async (dir: string): Promise<ReturnType<typeof exportSource>> => exportSource(await loadForExport(dir));

describe("loadForExport + exportSource: the task of a folder that does not store one is the loaders' answer (folderModelKind)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "sbert-read-model-"));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("a CrossEncoder folder with modules.json but no transformer_task exports logits, as CrossEncoder.load reads it", async () => {
    const dir = join(tmp, "ce-no-task");
    await cp(join(FIXTURES, "ce-bert-1label"), dir, { recursive: true });
    await writeFile(join(dir, "sentence_bert_config.json"), "{}");
    expect((await folderModelKind(dir))?.kind).toBe("cross-encoder");
    expect((await readExportSource(dir)).task).toBe("sequence-classification");
  });

  it("a plain Hugging Face classifier folder exports logits; a bi-encoder folder exports features", async () => {
    expect((await readExportSource(join(FIXTURES, "ce-bert-1label-plainhf"))).task).toBe("sequence-classification");
    expect((await readExportSource(join(FIXTURES, "st-bert-mean"))).task).toBe("feature-extraction");
  });
});
