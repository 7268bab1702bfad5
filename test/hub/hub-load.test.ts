/**
 * Loading models by id through a local stand-in for the hub: same results as the folder, the
 * Python cache layout, no request on the second load, offline mode, a hand-made Python cache.
 */
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { scanCachedRepo } from "@huggingface/hub";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CrossEncoder, SbertError, SentenceTransformer } from "../../src/index.js";
import { downloadModel, resolveModelDir } from "../../src/hub/index.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { type TestHub, gitOid, isLfs, startTestHub, stubHubEnv } from "./test-hub.js";

/** The fixture folders also hold onnx/model.onnx, which backend "auto" would prefer. */
const NATIVE = { backend: "native" } as const;
const TEXTS = ["A man is eating food.", "A monkey is playing drums.", "Ünïcödé and emoji 🤗 text"];

let hub: TestHub;
let root: string;
let cacheDir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-hub-"));
  cacheDir = join(root, "cache");
  hub = await startTestHub({ token: "hf_secret", privateRepos: ["sbert-test/ce-bert-1label"] });
  stubHubEnv(hub, root, cacheDir);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

async function embeddings(model: SentenceTransformer): Promise<number[]> {
  return Array.from((await model.encode(TEXTS)).data);
}

/** Every file under `dir`, relative, with symlinks listed as links. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir).catch(() => undefined);
  return out.sort();
}

describe("loading by id", () => {
  it("gives the same embeddings as loading the fixture folder (HF_ENDPOINT / HF_HUB_CACHE)", async () => {
    for (const name of ["st-bert-mean", "st-bert-cls-dense-normalize", "st-xlmr-spm-mean-dense"]) {
      const byId = await SentenceTransformer.load(`sbert-test/${name}`, NATIVE);
      const byDir = await SentenceTransformer.load(join(FIXTURES, name), NATIVE);
      expect(await embeddings(byId)).toEqual(await embeddings(byDir));
    }
  });

  it('backend "onnx" fetches onnx/model.onnx instead of model.safetensors, and matches the folder', async () => {
    const byId = await SentenceTransformer.load("sbert-test/st-bert-mean", { backend: "onnx" });
    const byDir = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "onnx" });
    expect(await embeddings(byId)).toEqual(await embeddings(byDir));
    expect(hub.count(undefined, "onnx/model.onnx")).toBeGreaterThan(0);
    expect(hub.count(undefined, "/model.safetensors")).toBe(0);
  });

  it("a CrossEncoder by id scores as the folder does (private repo, HF_TOKEN)", async () => {
    const err = await CrossEncoder.load("sbert-test/ce-bert-1label").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SbertError);
    expect((err as SbertError).code).toBe("NOT_FOUND_ON_HUB");
    expect((err as SbertError).message).toContain("HF_TOKEN");
    vi.stubEnv("HF_TOKEN", "hf_secret");
    const pairs: [string, string][] = [["a query", "a document"], ["how old", "ten years"]];
    const byId = await CrossEncoder.load("sbert-test/ce-bert-1label");
    const byDir = await CrossEncoder.load(join(FIXTURES, "ce-bert-1label"));
    expect(Array.from((await byId.predict(pairs)) as Float32Array)).toEqual(Array.from((await byDir.predict(pairs)) as Float32Array));
  });

  it("fetches modules.json first, then only the files the modules need", async () => {
    const r = await downloadModel("sbert-test/st-bert-mean", { retryBaseMs: 1 });
    const fetched = hub.requests.filter((q) => q.method === "HEAD").map((q) => q.path.split(`/resolve/${r.commit}/`)[1]);
    expect(fetched[0]).toBe("modules.json");
    expect(fetched.sort()).toEqual(
      ["1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json", "sentence_bert_config.json", "tokenizer.json", "tokenizer_config.json"].sort(),
    );
    expect(r.downloaded.sort()).toEqual(fetched.sort());
    expect(hub.count(undefined, "onnx")).toBe(0);
    expect(hub.count(undefined, "golden.json")).toBe(0);
  });

  it("writes the cache exactly as Python huggingface_hub does, and @huggingface/hub reads it", async () => {
    const r = await downloadModel("sbert-test/st-bert-cls-dense-normalize", { retryBaseMs: 1 });
    const storage = join(cacheDir, "models--sbert-test--st-bert-cls-dense-normalize");
    expect(r.dir).toBe(join(storage, "snapshots", r.commit));
    expect(await readFile(join(storage, "refs", "main"), "utf8")).toBe(r.commit);
    for (const file of ["config.json", "model.safetensors", "2_Dense/model.safetensors", "1_Pooling/config.json"]) {
      const body = await readFile(join(FIXTURES, "st-bert-cls-dense-normalize", file));
      const etag = isLfs(file) ? createHash("sha256").update(body).digest("hex") : gitOid(body);
      const depth = file.split("/").length - 1;
      expect(await readlink(join(r.dir, file))).toBe(`${"../".repeat(depth + 2)}blobs/${etag}`);
      expect((await readFile(join(storage, "blobs", etag))).equals(body)).toBe(true);
    }
    // Files the repo does not have are recorded as Python does, so later loads need no request.
    expect((await lstat(join(storage, ".no_exist", r.commit, "special_tokens_map.json"))).size).toBe(0);
    const scanned = await scanCachedRepo(storage);
    expect(scanned.revisions.map((v) => [v.commitOid, v.refs])).toEqual([[r.commit, ["main"]]]);
    expect(await tree(join(root, "hf-home"))).toEqual([]);
  });

  it("a second load makes no request, and HF_HUB_OFFLINE=1 loads from the cache with the hub gone", async () => {
    const first = await SentenceTransformer.load("sbert-test/st-bert-mean", NATIVE);
    const n = hub.requests.length;
    const second = await SentenceTransformer.load("sbert-test/st-bert-mean", NATIVE);
    expect(hub.requests.length).toBe(n);
    expect(await embeddings(second)).toEqual(await embeddings(first));
    // checkForUpdates asks for the branch's commit (one request) and downloads nothing new.
    expect(await downloadModel("sbert-test/st-bert-mean", { checkForUpdates: true })).toMatchObject({ fromCache: false, downloaded: [] });
    expect(hub.requests.slice(n).map((q) => q.path)).toEqual(["/api/models/sbert-test/st-bert-mean/revision/main"]);
    await hub.close();
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    expect(await embeddings(await SentenceTransformer.load("sbert-test/st-bert-mean", NATIVE))).toEqual(await embeddings(first));
  });

  it("offline, a model or file missing from the cache is an OFFLINE error naming both", async () => {
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    const e1 = (await SentenceTransformer.load("sbert-test/st-bert-mean").catch((e: unknown) => e)) as SbertError;
    expect(e1.code).toBe("OFFLINE");
    expect(e1.message).toContain('"sbert-test/st-bert-mean"');
    expect(e1.message).toContain('"modules.json"');
    vi.stubEnv("HF_HUB_OFFLINE", "");
    const r = await downloadModel("sbert-test/st-bert-mean");
    await rm(join(r.dir, "model.safetensors"));
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    const n = hub.requests.length;
    const e2 = (await SentenceTransformer.load("sbert-test/st-bert-mean").catch((e: unknown) => e)) as SbertError;
    expect(e2.code).toBe("OFFLINE");
    expect(e2.message).toMatch(/sbert-test\/st-bert-mean.*"model\.safetensors"/);
    expect(hub.requests.length).toBe(n);
  });

  it("finds a cache written in the Python layout by hand, without any request", async () => {
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const storage = join(cacheDir, "models--someone--mean-model");
    const src = join(FIXTURES, "st-bert-mean");
    for (const file of ["modules.json", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling/config.json"]) {
      const body = await readFile(join(src, file));
      const etag = isLfs(file) ? createHash("sha256").update(body).digest("hex") : gitOid(body);
      await mkdir(join(storage, "blobs"), { recursive: true });
      await writeFile(join(storage, "blobs", etag), body);
      const pointer = join(storage, "snapshots", commit, file);
      await mkdir(dirname(pointer), { recursive: true });
      await symlink(relative(dirname(pointer), join(storage, "blobs", etag)), pointer);
    }
    await mkdir(join(storage, "refs"));
    await writeFile(join(storage, "refs", "main"), commit);
    await mkdir(join(storage, ".no_exist", commit), { recursive: true });
    await writeFile(join(storage, ".no_exist", commit, "special_tokens_map.json"), "");

    const byDir = await embeddings(await SentenceTransformer.load(src, NATIVE));
    expect(await embeddings(await SentenceTransformer.load("someone/mean-model", NATIVE))).toEqual(byDir);
    expect(hub.requests).toEqual([]);
    // Without the .no_exist marker a complete check would ask the hub; offline it still loads.
    await rm(join(storage, ".no_exist"), { recursive: true });
    vi.stubEnv("HF_HUB_OFFLINE", "1");
    expect(await embeddings(await SentenceTransformer.load("someone/mean-model", NATIVE))).toEqual(byDir);
    // A pinned commit needs no ref at all.
    expect(await resolveModelDir("someone/mean-model", { revision: commit })).toBe(join(storage, "snapshots", commit));
    expect(hub.requests).toEqual([]);
  });

  it("revisions: a commit hash pins the snapshot; an unknown revision is NOT_FOUND_ON_HUB", async () => {
    const commit = hub.commitOf("sbert-test/st-bert-mean");
    const r = await downloadModel("sbert-test/st-bert-mean", { revision: commit });
    expect(r.commit).toBe(commit);
    expect(await tree(join(cacheDir, "models--sbert-test--st-bert-mean", "refs"))).toEqual([]);
    const e = (await downloadModel("sbert-test/st-bert-mean", { revision: "v9" }).catch((x: unknown) => x)) as SbertError;
    expect(e.code).toBe("NOT_FOUND_ON_HUB");
    expect(e.message).toContain('revision "v9"');
  });

  it("extraFiles fetches the ONNX file asked for and no other variant; a missing one is named", async () => {
    const r = await downloadModel("sbert-test/st-bert-mean", { extraFiles: ["onnx/model.onnx"] });
    expect(r.downloaded).toContain("onnx/model.onnx");
    expect((await readFile(join(r.dir, "onnx/model.onnx"))).equals(await readFile(join(FIXTURES, "st-bert-mean/onnx/model.onnx")))).toBe(true);
    const e = (await downloadModel("sbert-test/st-bert-mean", { extraFiles: ["onnx/model_qint8_avx512.onnx"] }).catch((x: unknown) => x)) as SbertError;
    expect(e.code).toBe("NOT_FOUND_ON_HUB");
    expect(e.message).toContain('"onnx/model_qint8_avx512.onnx"');
    expect(e.message).toContain('"onnx/model.onnx"');
  });

  it("a missing local folder is still FILE_NOT_FOUND, and ids that are not org/name are refused", async () => {
    await expect(SentenceTransformer.load(join(root, "no-such-model"))).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    await expect(SentenceTransformer.load("all-MiniLM-L6-v2")).rejects.toThrow(/org\/name/);
    await expect(SentenceTransformer.load("sbert-test/does-not-exist")).rejects.toMatchObject({ code: "NOT_FOUND_ON_HUB" });
    await expect(SentenceTransformer.load("org/na--me")).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});
