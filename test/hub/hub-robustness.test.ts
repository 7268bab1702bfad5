/**
 * Downloads under failure: dropped connections, partial files, 5xx/429, unreachable hub, 404s,
 * concurrent loads (one process and two), stale locks, and names that try to leave the cache.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SentenceTransformer } from "../../src/index.js";
import { type DownloadProgress, type HubOptions, type ResolvedModel, downloadModel } from "../../src/hub/index.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { type TestHub, startTestHub } from "./test-hub.js";
import { failure } from "../helpers/errors.js";

const ID = "sbert-test/st-bert-mean";
const FILES = ["modules.json", "config_sentence_transformers.json", "config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json", "tokenizer_config.json", "1_Pooling/config.json"];
const WEIGHTS_SHA = createHash("sha256").update(await readFile(join(FIXTURES, "st-bert-mean/model.safetensors"))).digest("hex");

let hub: TestHub;
let root: string;
let cacheDir: string;

async function useHub(opts: Parameters<typeof startTestHub>[0] = {}): Promise<void> {
  await hub.close();
  hub = await startTestHub(opts);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-hub-"));
  cacheDir = join(root, "cache");
  hub = await startTestHub();
});

afterEach(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

/** Explicit settings; `env` keeps HF_HOME (and so the token file) inside the temp folder. */
const opts = (extra: HubOptions = {}): HubOptions => ({ cacheDir, endpoint: hub.url, env: { HF_HOME: join(root, "hf-home") }, retryBaseMs: 1, ...extra });

/** Every path under `dir`, relative to it. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = join(d, e.name);
      out.push(relative(dir, full));
      if (e.isDirectory()) await walk(full);
    }
  };
  await walk(dir);
  return out.sort();
}

/** GET requests for repo file `f` (through resolve). */
function fileGets(f: string): number {
  return hub.requests.filter((q) => q.method === "GET" && q.path.endsWith(`/resolve/${hub.commitOf(ID)}/${f}`)).length;
}

async function expectFixtureFiles(r: ResolvedModel): Promise<void> {
  for (const f of FILES) expect((await readFile(join(r.dir, f))).equals(await readFile(join(FIXTURES, "st-bert-mean", f))), f).toBe(true);
}

describe("failures during download", () => {
  it("a connection dropped mid-file is resumed with a Range request and gives the right file", async () => {
    hub.cut("model.safetensors");
    hub.cut("tokenizer.json");
    const events: DownloadProgress[] = [];
    const r = await downloadModel(ID, opts({ onProgress: (p) => events.push(p) }));
    const cdn = hub.requests.filter((q) => q.path.startsWith("/cdn-lfs/"));
    expect(cdn.map((q) => q.range)).toEqual([undefined, "bytes=185092-"]);
    expect(hub.requests.filter((q) => q.method === "GET" && q.path.endsWith("/tokenizer.json")).map((q) => q.range)).toEqual([undefined, "bytes=11930-"]);
    await expectFixtureFiles(r);
    const last = events.filter((e) => e.file === "model.safetensors").at(-1);
    expect(last).toMatchObject({ done: true, loaded: 370184, total: 370184 });
    const native = { ...opts(), backend: "native" } as const;
    const a = await (await SentenceTransformer.load(ID, native)).encode(["resumed download"]);
    const b = await (await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), native)).encode(["resumed download"]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it("resumes a partial .incomplete left by a crash; a corrupt one is caught by the sha256 and fetched again", async () => {
    const blobs = join(cacheDir, "models--sbert-test--st-bert-mean", "blobs");
    const weights = await readFile(join(FIXTURES, "st-bert-mean/model.safetensors"));
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${WEIGHTS_SHA}.incomplete`), weights.subarray(0, 100_000));
    await expectFixtureFiles(await downloadModel(ID, opts()));
    expect(hub.requests.filter((q) => q.path.startsWith("/cdn-lfs/")).map((q) => q.range)).toEqual(["bytes=100000-"]);

    await rm(cacheDir, { recursive: true });
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${WEIGHTS_SHA}.incomplete`), Buffer.alloc(weights.length, 7)); // right size, wrong bytes
    hub.requests.length = 0;
    await expectFixtureFiles(await downloadModel(ID, opts()));
    expect(hub.requests.filter((q) => q.path.startsWith("/cdn-lfs/")).map((q) => q.range)).toEqual([undefined]);
    expect((await readdir(blobs)).filter((f) => f.endsWith(".incomplete"))).toEqual([]);
  });

  it("500, 502, 503 and 429 then 200 are retried, on the API, on HEADs and on file bodies", async () => {
    hub.fail("/api/models/", 500);
    hub.fail("/resolve/", 502); // the first HEAD (modules.json)
    hub.fail("tokenizer.json", 429, 500);
    hub.fail("/cdn-lfs/", 503);
    await expectFixtureFiles(await downloadModel(ID, opts()));
    expect(hub.count("GET", "/api/models/")).toBe(2);
    expect(hub.count("HEAD", "/modules.json")).toBe(2);
    expect(hub.count(undefined, "/cdn-lfs/")).toBe(2);
  });

  it("a hub that keeps failing is a NETWORK_ERROR after the bounded retries; so is an unreachable one", async () => {
    hub.fail("/api/models/", ...Array<number>(10).fill(500));
    const e = await failure(downloadModel(ID, opts({ maxRetries: 3 })));
    expect(e.code).toBe("NETWORK_ERROR");
    expect(e.message).toContain(ID);
    expect(hub.count("GET", "/api/models/")).toBe(4);
    const url = hub.url;
    await hub.close();
    const down = await failure(downloadModel(ID, { ...opts({ maxRetries: 1 }), endpoint: url }));
    expect(down.code).toBe("NETWORK_ERROR");
    expect(down.message).toContain("HF_HUB_OFFLINE");
  });

  it("with the hub unreachable, a usable cached snapshot still loads (as Python falls back to the cache)", async () => {
    const r = await downloadModel(ID, opts());
    await rm(join(cacheDir, "models--sbert-test--st-bert-mean", ".no_exist"), { recursive: true });
    const url = hub.url;
    await hub.close();
    const again = await downloadModel(ID, { ...opts({ maxRetries: 0 }), endpoint: url });
    expect(again).toMatchObject({ dir: r.dir, fromCache: true, downloaded: [] });
  });

  it("404s are clear errors: unknown model, a file the model needs, pickle-only weights", async () => {
    const weights = await readFile(join(FIXTURES, "st-bert-mean/model.safetensors"));
    const config = await readFile(join(FIXTURES, "st-bert-mean/config.json"));
    await useHub({ repos: { "acme/no-tokenizer": { "config.json": config, "model.safetensors": weights }, "acme/pickle": { "config.json": config, "pytorch_model.bin": weights, "tokenizer.json": "{}" } } });
    const unknown = await failure(downloadModel("sbert-test/nope", opts()));
    expect(unknown.code).toBe("NOT_FOUND_ON_HUB");
    expect(unknown.message).toContain('"sbert-test/nope"');
    const noTok = await failure(downloadModel("acme/no-tokenizer", opts()));
    expect(noTok.code).toBe("NOT_FOUND_ON_HUB");
    expect(noTok.message).toContain('"tokenizer.json"');
    const pickle = await failure(downloadModel("acme/pickle", opts()));
    expect(pickle.code).toBe("UNSUPPORTED_FORMAT");
    expect(pickle.message).toContain("pytorch_model.bin");
    expect(hub.count(undefined, "pytorch_model.bin")).toBe(0);
  });
});

describe("concurrent loads", () => {
  it("two concurrent loads of one id in one process: one download, both succeed", async () => {
    const native = { ...opts(), backend: "native" } as const;
    const [a, b] = await Promise.all([SentenceTransformer.load(ID, native), SentenceTransformer.load(ID, native)]);
    expect(Array.from((await a.encode(["x"])).data)).toEqual(Array.from((await b.encode(["x"])).data));
    expect(hub.count("GET", "/api/models/")).toBe(1);
    expect(hub.count("GET", "/cdn-lfs/")).toBe(1);
    for (const f of FILES.filter((x) => !x.endsWith(".safetensors"))) expect(fileGets(f), f).toBe(1);
  });

  it("two downloads sharing blobs at the same moment: the lock makes the second wait, not download", async () => {
    await useHub({ chunkDelayMs: 5 });
    hub.hold("/api/models/", 2); // both pass the cache check before either downloads
    const [a, b] = await Promise.all([downloadModel(ID, opts()), downloadModel(ID, opts({ extraFiles: ["onnx/model.onnx"] }))]);
    expect(a.dir).toBe(b.dir);
    expect(hub.count("GET", WEIGHTS_SHA)).toBe(1);
    for (const f of FILES.filter((x) => !x.endsWith(".safetensors"))) expect(fileGets(f), f).toBe(1);
    expect([...a.downloaded, ...b.downloaded].sort()).toEqual([...FILES, "onnx/model.onnx"].sort());
    await expectFixtureFiles(a);
  });

  it("two processes loading the same id: one download, both succeed", async () => {
    await useHub({ chunkDelayMs: 5 });
    hub.hold("/api/models/", 2);
    const script = fileURLToPath(new URL("./child-download.ts", import.meta.url));
    const env = { ...process.env, HF_HOME: join(root, "hf-home"), HF_HUB_CACHE: cacheDir, HF_ENDPOINT: hub.url, HF_TOKEN: "", HF_HUB_OFFLINE: "" };
    const run = (): Promise<ResolvedModel> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", script, ID], { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as ResolvedModel) : reject(new Error(`child exited ${code}: ${err}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.dir).toBe(b.dir);
    expect(hub.count("GET", "/api/models/")).toBe(2);
    expect(hub.count("GET", "/cdn-lfs/")).toBe(1);
    for (const f of FILES.filter((x) => !x.endsWith(".safetensors"))) expect(fileGets(f), f).toBe(1);
    expect([...a.downloaded, ...b.downloaded].sort()).toEqual([...FILES].sort());
    await expectFixtureFiles(a);
  }, 60_000);

  it("a lock left behind by a dead process is taken over", async () => {
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.on("close", r));
    const locks = join(cacheDir, ".locks", "models--sbert-test--st-bert-mean");
    await mkdir(locks, { recursive: true });
    await writeFile(join(locks, `${WEIGHTS_SHA}.sbert.lock`), `${dead.pid}\n${hostname()}\nleftover\n`);
    await expectFixtureFiles(await downloadModel(ID, opts()));
    expect(await readdir(locks)).toEqual([]);
  });
});

describe("nothing is written outside the cache", () => {
  it("a modules.json whose module path leaves the repo is refused", async () => {
    for (const [i, bad] of ["../../../../escape", "/tmp/escape", "1_Pooling/../../../escape", "C:\\escape"].entries()) {
      const files = { "modules.json": JSON.stringify([{ idx: 0, type: "sentence_transformers.models.Transformer", path: "" }, { idx: 1, type: "sentence_transformers.models.Pooling", path: bad }]), [`${bad}/config.json`]: "{}" };
      await useHub({ repos: { [`acme/evil-${i}`]: files } });
      const e = await failure(downloadModel(`acme/evil-${i}`, opts()));
      expect(e.code).toBe("INVALID_MODEL_FILE");
      expect(e.message).toContain(`"${bad}"`);
      expect((await tree(root)).every((p) => p === "cache" || p.startsWith(`cache/`)), bad).toBe(true);
      expect((await tree(root)).some((p) => p.includes("escape"))).toBe(false);
      expect(hub.count(undefined, "escape")).toBe(0);
    }
  });

  it("malformed ids, revisions and extra file names are refused before any request or write", async () => {
    const badIds = ["../x", "a/b/c", "org/..", "org/na me", "-org/x", "org/x.git", "org--x/y", "", "/etc/passwd", "a\\b/c", "org/x/"];
    for (const id of badIds) expect((await failure(downloadModel(id, opts()))).code, id).toBe("INVALID_INPUT");
    for (const revision of ["../../x", "refs/../../x", "", "/abs", "a\\b", "a//b"]) {
      expect((await failure(downloadModel(ID, opts({ revision })))).code, revision).toBe("INVALID_INPUT");
    }
    for (const f of ["../evil.onnx", "/etc/passwd", "onnx/../../x", "C:\\x", "a//b", "\\\\host\\share"]) {
      expect((await failure(downloadModel(ID, opts({ extraFiles: [f] })))).code, f).toBe("INVALID_INPUT");
    }
    expect((await failure(downloadModel(ID, opts({ onnxFile: "../../model.onnx" })))).code).toBe("INVALID_INPUT");
    expect(hub.requests).toEqual([]);
    expect(await tree(root)).toEqual([]);
  });

  it("a hub answering a commit or ETag that is not a plain hash is refused", async () => {
    const rewrite =
      (edit: (url: string, res: Response) => Response): typeof fetch =>
      async (input, init) =>
        edit(String(input), await fetch(input, init));
    const badSha = rewrite((url, res) => (url.includes("/api/models/") ? Response.json({ id: ID, sha: "../../../../escape", siblings: [{ rfilename: "modules.json" }] }) : res));
    expect((await failure(downloadModel(ID, opts({ fetch: badSha })))).code).toBe("INVALID_MODEL_FILE");
    const badEtag = rewrite((_url, res) => {
      if (res.status !== 200 || !res.headers.has("ETag")) return res;
      const headers = new Headers(res.headers);
      headers.set("ETag", '"../../../escape"');
      return new Response(res.body, { status: res.status, headers });
    });
    expect((await failure(downloadModel(ID, opts({ fetch: badEtag })))).code).toBe("INVALID_MODEL_FILE");
    expect((await tree(root)).some((p) => p.includes("escape") || !p.startsWith("cache"))).toBe(false);
  });
});
