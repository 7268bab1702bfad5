import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { acquireOnnxModel, ensureOnnxModel, onnxCacheFolder } from "./ensure.js";
import { buildOnnxModel } from "./export.js";
import { DataType } from "./graph.js";
import { MANIFEST, onnxCacheKey, onnxCacheRoot } from "./onnx-cache.js";
import { writeOnnxModel } from "./write-model.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = "st-bert-mean";
const SENTENCES = ["a cached graph", "the same embeddings after a rebuild"];

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-onnx-cache-test-"));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the fixture without its onnx/ folder (so the backend must export), at `tmp/<where>`. */
async function copyModel(where: string): Promise<string> {
  const dir = join(tmp, where, MODEL);
  await cp(join(FIXTURES, MODEL), dir, { recursive: true });
  await rm(join(dir, "onnx"), { recursive: true, force: true });
  return dir;
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

async function embed(dir: string, onnxCache?: string | false): Promise<Float32Array[]> {
  const model = await SentenceTransformer.load(dir, { backend: "onnx", ...(onnxCache !== undefined ? { onnxCache } : {}) });
  try {
    const r = await model.encode(SENTENCES);
    return Array.from({ length: SENTENCES.length }, (_, i) => r.row(i).slice());
  } finally {
    await model.dispose();
  }
}

describe("onnxCacheRoot", () => {
  it("option, then SBERT_ONNX_CACHE (0/off = none), then XDG_CACHE_HOME, then ~/.cache", () => {
    expect(onnxCacheRoot("/opt/c", { SBERT_ONNX_CACHE: "/env/c" })).toBe("/opt/c");
    expect(onnxCacheRoot(false, { SBERT_ONNX_CACHE: "/env/c" })).toBe(false);
    expect(onnxCacheRoot(undefined, { SBERT_ONNX_CACHE: "/env/c" })).toBe("/env/c");
    for (const off of ["0", "off", "OFF", "false"]) expect(onnxCacheRoot(undefined, { SBERT_ONNX_CACHE: off })).toBe(false);
    expect(onnxCacheRoot(undefined, { XDG_CACHE_HOME: "/xdg" })).toBe("/xdg/sbert-ts/onnx");
    expect(onnxCacheRoot(undefined, {})).toBe(join(homedir(), ".cache", "sbert-ts", "onnx"));
    expect(() => onnxCacheRoot("")).toThrow(/onnxCache must be a folder path or false/);
  });

  it("the test run uses a temporary cache, never the user's home", () => {
    const dir = process.env["SBERT_ONNX_CACHE"] ?? "";
    expect(dir).not.toBe("");
    expect(dir).toBe(process.env["SBERT_TEST_ONNX_CACHE"]);
    expect(relative(tmpdir(), dir).startsWith("..")).toBe(false);
    expect(relative(join(homedir(), ".cache"), dir).startsWith("..")).toBe(true);
  });
});

describe("the ONNX cache", () => {
  it("is keyed by content: two copies at different paths share one entry; other weights get another", async () => {
    const cache = join(tmp, "cache");
    const [a, b] = [await copyModel("one"), await copyModel("two/deeper")];
    const pa = await ensureOnnxModel(a, { writeTo: "cache", onnxCache: cache });
    const pb = await ensureOnnxModel(b, { writeTo: "cache", onnxCache: cache });
    expect(pb).toBe(pa);
    const entry = (await onnxCacheFolder(a, { onnxCache: cache })) as string;
    expect(await tree(cache)).toEqual([`${relative(cache, entry)}/${MANIFEST}`, `${relative(cache, entry)}/model.onnx`]);
    const manifest = JSON.parse(await readFile(join(entry, MANIFEST), "utf8")) as { files: Record<string, { bytes: number; sha256: string }> };
    expect(manifest.files["model.onnx"]?.bytes).toBe((await stat(pa)).size);
    expect(manifest.files["model.onnx"]?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const weights = join(b, "model.safetensors");
    const bytes = await readFile(weights);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1; // one bit of one weight
    await writeFile(weights, bytes);
    expect(await onnxCacheKey(b, { fileName: "model.onnx" })).not.toBe(await onnxCacheKey(a, { fileName: "model.onnx" }));
    await writeFile(join(b, "tokenizer_config.json"), "{}"); // tokenizer files do not change the graph
    await cp(join(a, "model.safetensors"), weights);
    expect(await onnxCacheKey(b, { fileName: "model.onnx" })).toBe(await onnxCacheKey(a, { fileName: "model.onnx" }));
    expect(await onnxCacheKey(a, { fileName: "model.onnx", withPooling: true })).not.toBe(await onnxCacheKey(a, { fileName: "model.onnx" }));
  });

  it("remembers a large file's digest in <cache>/.digests by its stamp, and hashes again once the file changes", async () => {
    const dir = join(tmp, "big");
    await mkdir(dir);
    await writeFile(join(dir, "config.json"), "{}");
    await writeFile(join(dir, "model.safetensors"), Buffer.alloc(3 << 20, 7));
    const cache = join(tmp, "cache");
    const opts = { fileName: "model.onnx" };
    const key = await onnxCacheKey(dir, opts, cache);
    expect(key).toBe(await onnxCacheKey(dir, opts)); // the same key with or without the notes
    const notes = await readdir(join(cache, ".digests"));
    expect(notes).toHaveLength(1);
    const note = join(cache, ".digests", notes[0] as string);
    const saved = JSON.parse(await readFile(note, "utf8")) as { sha256: string };
    await writeFile(note, JSON.stringify({ ...saved, sha256: "f".repeat(64) }));
    expect(await onnxCacheKey(dir, opts, cache)).not.toBe(key); // the note is what a warm load reads
    await utimes(join(dir, "model.safetensors"), new Date(), new Date(Date.now() + 5000));
    expect(await onnxCacheKey(dir, opts, cache)).toBe(key); // a new stamp: hashed again
  });

  it("concurrent builds of one entry end with one intact entry and no temp folders", async () => {
    const cache = join(tmp, "cache");
    const dirs = await Promise.all(["p1", "p2", "p3", "p4"].map(copyModel));
    const paths = await Promise.all(dirs.map((d) => ensureOnnxModel(d, { writeTo: "cache", onnxCache: cache })));
    expect(new Set(paths).size).toBe(1);
    expect((await readdir(cache)).length).toBe(1);
  });

  it("SBERT_ONNX_CACHE=off writes nothing: the export goes to a temp folder deleted after loading", async () => {
    const dir = await copyModel("m");
    const scratch = join(tmp, "scratch");
    const home = join(tmp, "home");
    await mkdir(scratch);
    await mkdir(home);
    vi.stubEnv("SBERT_ONNX_CACHE", "off");
    vi.stubEnv("TMPDIR", scratch);
    vi.stubEnv("HOME", home);
    vi.stubEnv("XDG_CACHE_HOME", join(home, ".cache"));
    const exports = async () => (await readdir(scratch)).filter((n) => n.startsWith("sbert-onnx-"));
    const off = await embed(dir);
    expect(await exports()).toEqual([]);
    expect(await tree(home)).toEqual([]);
    expect(await tree(dir)).not.toContain("onnx/model.onnx");
    const graph = await acquireOnnxModel(dir, { writeTo: "cache" });
    expect(graph.temporary).toBe(true);
    await graph.release();
    expect(await exports()).toEqual([]);
    await expect(ensureOnnxModel(dir, { writeTo: "cache" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    vi.unstubAllEnvs();
    expect(await embed(dir, join(tmp, "cache"))).toEqual(off);
  });

  it("the onnxCache option overrides SBERT_ONNX_CACHE", async () => {
    const dir = await copyModel("m");
    const fromEnv = join(tmp, "env-cache");
    const fromOption = join(tmp, "option-cache");
    vi.stubEnv("SBERT_ONNX_CACHE", fromEnv);
    await embed(dir, fromOption);
    expect(await tree(fromEnv)).toEqual([]);
    expect((await tree(fromOption)).length).toBe(2);
    await embed(dir, false);
    expect(await tree(fromEnv)).toEqual([]);
    vi.stubEnv("SBERT_ONNX_CACHE", "off");
    await embed(dir, fromEnv);
    expect((await tree(fromEnv)).length).toBe(2);
  });

  it("a torn or incomplete entry is detected and rebuilt, with the same embeddings", async () => {
    const dir = await copyModel("m");
    const cache = join(tmp, "cache");
    const first = await embed(dir, cache);
    const entry = (await onnxCacheFolder(dir, { onnxCache: cache, task: "feature-extraction" })) as string;
    const file = join(entry, "model.onnx");
    const size = (await stat(file)).size;
    await truncate(file, Math.floor(size / 2)); // what a short write used to leave
    expect(await embed(dir, cache)).toEqual(first);
    expect((await stat(file)).size).toBe(size);

    const bytes = await readFile(file);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0xff; // same size, other bytes: the sha256 catches it
    await writeFile(file, bytes);
    expect(await embed(dir, cache)).toEqual(first);
    expect((await readFile(file)).equals(bytes)).toBe(false);

    await rm(join(entry, MANIFEST)); // an entry whose manifest never got written is incomplete
    expect(await embed(dir, cache)).toEqual(first);
    expect(await tree(cache)).toEqual([`${relative(cache, entry)}/${MANIFEST}`, `${relative(cache, entry)}/model.onnx`]);
  });
});

/** Runs `sbert encode` from source in a child process (ONNX Runtime logs to the real stderr). */
async function encodeInChild(dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "encode", "--model", dir, "--backend", "onnx"], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(`${SENTENCES.map((s) => JSON.stringify(s)).join("\n")}\n`);
  const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
  return { code, stdout, stderr };
}

describe("sbert encode on the onnx backend (a child process)", () => {
  it("writes nothing under $HOME (no ONNX cache there, no ONNX Runtime telemetry) and no ANSI colours on stderr", async () => {
    const exported = await copyModel("exported");
    // A graph with an initializer no node uses (common in Hub exports): ONNX Runtime warns about it.
    const own = await copyModel("own");
    const graph = await buildOnnxModel(own);
    graph.graph.initializers.set("unused_weight", { name: "unused_weight", dataType: DataType.FLOAT, dims: [2], values: new Float32Array([1, 2]) });
    await mkdir(join(own, "onnx"));
    await writeOnnxModel(graph, join(own, "onnx", "model.onnx"));
    const home = join(tmp, "home");
    await mkdir(home);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SBERT_PROGRESS: "0" };
    delete env["XDG_CACHE_HOME"];
    delete env["ORT_DISABLE_TELEMETRY"];
    const runs = await Promise.all([encodeInChild(exported, env), encodeInChild(own, env)]);
    for (const r of runs) {
      expect(r.stderr).not.toContain("\x1b");
      expect(r.stderr).not.toMatch(/onnxruntime|Removing initializer/);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split("\n")).toHaveLength(SENTENCES.length);
    }
    expect(runs[0]?.stdout).toBe(runs[1]?.stdout);
    expect(await tree(home)).toEqual([]);
  });
});
