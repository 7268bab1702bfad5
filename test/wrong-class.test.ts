/**
 * A folder loaded with the wrong class fails at load with a message that names the right class and
 * CLI commands. Before, a cross-encoder loaded as a SentenceTransformer and then failed in encode
 * with "is a Pooling module missing?". The rule is `folderModelKind` (src/modules/folder-kind.ts); a
 * plain Hugging Face encoder folder (no modules.json, `BertModel`) still loads as a bi-encoder with
 * mean pooling, as in Python.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossEncoder, SbertError, SentenceTransformer } from "../src/index.js";
import { folderModelKind } from "../src/modules/folder-kind.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES } from "./helpers/fixtures.js";

const CROSS_ENCODERS = ["ce-bert-1label", "ce-bert-3label", "ce-bert-1label-plainhf", "ce-bert-1label-identity-legacyconfig", "ce-bert-1label-identity-v4config"];
const BI_ENCODERS = ["st-bert-mean", "st-bert-mean-legacyformat", "st-bert-cls-dense-normalize"];

let tmp: string;
/** st-bert-mean as a plain Hugging Face checkpoint: config.json (BertModel), weights, tokenizer. */
let plainBert: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-wrong-class-"));
  plainBert = join(tmp, "plain-bert");
  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]) {
    await cp(join(FIXTURES, "st-bert-mean", f), join(plainBert, f), { recursive: true });
  }
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

async function loadError(p: Promise<unknown>): Promise<SbertError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, "expected the load to fail").toBeInstanceOf(SbertError);
  return e as SbertError;
}

describe("folderModelKind", () => {
  it.each(CROSS_ENCODERS)("%s is a cross-encoder", async (name) => {
    expect((await folderModelKind(join(FIXTURES, name)))?.kind).toBe("cross-encoder");
  });
  it.each(BI_ENCODERS)("%s is a bi-encoder", async (name) => {
    expect((await folderModelKind(join(FIXTURES, name)))?.kind).toBe("sentence-transformer");
  });
  it("a plain encoder checkpoint (architectures BertModel) is a bi-encoder; one without architectures is undecided", async () => {
    expect(await folderModelKind(plainBert)).toEqual({ kind: "sentence-transformer", because: expect.stringContaining("BertModel") });
    expect(await folderModelKind(tmp)).toBeUndefined();
  });
});

describe("the wrong class fails at load, naming the right one", () => {
  it.each(CROSS_ENCODERS)("SentenceTransformer.load(%s)", async (name) => {
    const e = await loadError(SentenceTransformer.load(join(FIXTURES, name), { backend: "native" }));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toMatch(/holds a cross-encoder \(.+\), not a bi-encoder/);
    expect(e.message).toContain("CrossEncoder.load");
    expect(e.message).toContain("sbert predict, sbert rank");
  });

  it.each(BI_ENCODERS)("CrossEncoder.load(%s)", async (name) => {
    const e = await loadError(CrossEncoder.load(join(FIXTURES, name), { backend: "native" }));
    expect(e.code).toBe("INVALID_MODEL_FILE");
    expect(e.message).toMatch(/holds a bi-encoder .*not a cross-encoder/);
    expect(e.message).toContain("SentenceTransformer.load");
    expect(e.message).toContain("sbert encode");
  });

  it("a plain encoder checkpoint still loads as a bi-encoder (mean pooling), and is no cross-encoder", async () => {
    const st = await SentenceTransformer.load(plainBert, { backend: "native" });
    const ref = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "native" });
    const [a, b] = [await st.encode(["a cat sits"]), await ref.encode(["a cat sits"])];
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    await Promise.all([st.dispose(), ref.dispose()]);
    const e = await loadError(CrossEncoder.load(plainBert, { backend: "native" }));
    expect(e.message).toContain("SentenceTransformer.load");
  });

  it("the right class still loads", async () => {
    const ce = await CrossEncoder.load(join(FIXTURES, "ce-bert-1label-plainhf"), { backend: "native" });
    expect(ce.numLabels).toBe(1);
    await ce.dispose();
  });
});

describe("CLI", () => {
  it("sbert encode with a cross-encoder says so and names predict / rank", async () => {
    const r = await runCli(["encode", "-m", join(FIXTURES, "ce-bert-1label"), "--backend", "native"], { stdin: "hello\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("holds a cross-encoder");
    expect(r.stderr).toContain("sbert predict");
    expect(r.stdout).toBe("");
  });

  it("sbert rank with a bi-encoder says so and names encode", async () => {
    const r = await runCli(["rank", "-m", join(FIXTURES, "st-bert-mean"), "--backend", "native", "-q", "a"], { stdin: "b\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("holds a bi-encoder");
    expect(r.stderr).toContain("sbert encode");
  });
});
