/**
 * Model commands that take a hub id besides encode / predict: `sbert info`, `sbert export-onnx`
 * (into --output only: the hub cache is never written into) and `sbert serve` of a cross-encoder.
 * Before, export-onnx refused ids and the server loaded an id with SentenceTransformer.load first,
 * which refuses a cross-encoder folder.
 */
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { CrossEncoder } from "../../src/index.js";
import { loadServedModel } from "../../src/server/model.js";
import { runCli } from "../helpers/cli.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { post, start } from "../server/helpers.js";
import { type TestHub, startTestHub, stubHubEnv } from "./test-hub.js";

let hub: TestHub;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-hub-models-"));
  hub = await startTestHub();
  stubHubEnv(hub, root);
  vi.stubEnv("SBERT_ONNX_CACHE", join(root, "onnx-cache"));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

it("info takes an id and describes what the local folder describes", async () => {
  const byId = await runCli(["info", "-m", "sbert-test/ce-bert-3label", "--backend", "native", "--json"]);
  expect(byId.code, byId.stderr).toBe(0);
  const local = await runCli(["info", "-m", join(FIXTURES, "ce-bert-3label"), "--backend", "native", "--json"]);
  const { model: _a, folder, ...fromId } = JSON.parse(byId.stdout) as Record<string, unknown>;
  const { model: _b, folder: _c, ...fromFolder } = JSON.parse(local.stdout) as Record<string, unknown>;
  expect(fromId).toEqual(fromFolder);
  expect(folder).toContain(join(root, "cache"));
});

it("export-onnx takes an id with --output (a usage error without), and writes nothing into the cache", async () => {
  const missing = await runCli(["export-onnx", "-m", "sbert-test/st-bert-mean"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/"sbert-test\/st-bert-mean" is a Hugging Face id: pass --output <dir>/);
  const out = join(root, "out");
  await mkdir(out);
  const ok = await runCli(["export-onnx", "-m", "sbert-test/st-bert-mean", "-o", out]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ path: join(out, "model.onnx") });
  expect(await readdir(out)).toEqual(["model.onnx"]);
  const snapshots = join(root, "cache", "models--sbert-test--st-bert-mean", "snapshots");
  const [snap] = await readdir(snapshots);
  expect((await readdir(join(snapshots, snap as string))).includes("onnx")).toBe(false);
});

it("serve loads a cross-encoder by id (main thread and worker) and ranks as the local folder does", async () => {
  const served = await loadServedModel("sbert-test/ce-bert-1label", { backend: "native" });
  expect(served.kind).toBe("reranker");
  expect(served.dir).toContain(join(root, "cache"));
  const server = await start({ model: "sbert-test/ce-bert-1label", backend: "native", threads: 1 });
  try {
    const docs = ["Berlin has many people.", "Paris is in France."];
    const r = await post(server, "/rerank", { query: "Who lives in Berlin?", texts: docs });
    expect(r.status).toBe(200);
    const ce = await CrossEncoder.load(join(FIXTURES, "ce-bert-1label"), { backend: "native" });
    const want = await ce.rank("Who lives in Berlin?", docs);
    expect(r.body).toEqual(want.map((h) => ({ index: h.corpusId, score: h.score })));
  } finally {
    await server.close();
  }
});

/** The fixture's weights with the JSON header padded by spaces to over 1 MB (a download that gets a bar). */
async function paddedSafetensors(dir: string): Promise<Buffer> {
  const raw = await readFile(join(dir, "model.safetensors"));
  const n = Number(raw.readBigUInt64LE(0));
  const header = Buffer.concat([raw.subarray(8, 8 + n), Buffer.alloc(1_200_000, " ")]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([size, header, raw.subarray(8 + n)]);
}

it("the download bar draws on the CLI's own stderr when its SBERT_PROGRESS=1 (not the process's)", async () => {
  await hub.close();
  const dir = join(FIXTURES, "ce-bert-1label");
  const files: Record<string, string | Uint8Array> = {};
  for (const name of await readdir(dir)) if (!name.endsWith(".md") && name !== "golden.json") files[name] = name === "model.safetensors" ? await paddedSafetensors(dir) : await readFile(join(dir, name));
  hub = await startTestHub({ repos: { "acme/big-ce": files } });
  vi.stubEnv("HF_ENDPOINT", hub.url);
  const r = await runCli(["predict", "-m", "acme/big-ce", "--backend", "native"], { stdin: '["a", "b"]\n', env: { SBERT_PROGRESS: "1" } });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/model\.safetensors {2}\[#{20}\] {2}100% {2}1\.[0-9]\/1\.[0-9] MB/);
});
