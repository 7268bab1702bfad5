/**
 * A sharded checkpoint on the hub: `model.safetensors.index.json` is fetched first, then the
 * shards it names; the cached snapshot is complete (a second load asks nothing); an index whose
 * shard names leave the folder is refused before any shard is requested.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SbertError, SentenceTransformer } from "../../src/index.js";
import { type HubOptions, downloadModel } from "../../src/hub/index.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { shardedFiles } from "../helpers/sharded.js";
import { type TestHub, startTestHub } from "./test-hub.js";

const ID = "sbert-test/sharded-mean";
const BAD = "sbert-test/sharded-escape";
let files: Record<string, Uint8Array>;
let bad: Record<string, Uint8Array>;
let hub: TestHub;
let root: string;

beforeAll(async () => {
  files = await shardedFiles(join(FIXTURES, "st-bert-mean"));
  bad = await shardedFiles(join(FIXTURES, "st-bert-mean"), (i) => void (i.weight_map["pooler.dense.bias"] = "../../../../escape.safetensors"));
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-hub-sharded-"));
  hub = await startTestHub({ repos: { [ID]: files, [BAD]: bad } });
});

afterEach(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

const opts = (): HubOptions => ({ cacheDir: join(root, "cache"), endpoint: hub.url, env: { HF_HOME: join(root, "hf-home") }, retryBaseMs: 1 });

describe("sharded checkpoints on the hub", () => {
  it("fetches the index, then the shards, and loads the same embeddings as the single-file fixture", async () => {
    const r = await downloadModel(ID, opts());
    const weights = r.downloaded.filter((f) => f.startsWith("model"));
    expect(weights).toEqual(["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(hub.requests.some((q) => q.path.endsWith("/model.safetensors"))).toBe(false);

    hub.requests.length = 0;
    const again = await downloadModel(ID, opts());
    expect(again.fromCache).toBe(true);
    expect(hub.requests).toEqual([]);

    const native = { ...opts(), backend: "native" } as const;
    const a = await SentenceTransformer.load(ID, native);
    const b = await SentenceTransformer.load(join(FIXTURES, "st-bert-mean"), { backend: "native" });
    expect(Array.from((await a.encode(["a sharded model"])).data)).toEqual(Array.from((await b.encode(["a sharded model"])).data));
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it("refuses an index whose shard names leave the folder, before asking for any shard", async () => {
    const e = await downloadModel(BAD, opts()).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SbertError);
    expect((e as SbertError).code).toBe("INVALID_MODEL_FILE");
    expect((e as SbertError).message).toContain("a shard must be a .safetensors file in the same folder");
    expect(hub.requests.some((q) => /-of-00002\.safetensors|escape\.safetensors/.test(q.path))).toBe(false);
  });
});
