/**
 * Hub requests are bounded in time: a hub that accepts connections and never answers, or sends
 * headers and then stalls mid-body, fails fast with NETWORK_ERROR naming the host, the phase, the
 * seconds and the retry budget (HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT, small here); a
 * download resumed after a stall still verifies.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HubOptions, downloadModel } from "../../src/hub/index.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { type TestHub, startTestHub } from "./test-hub.js";
import { failure } from "../helpers/errors.js";

const ID = "sbert-test/st-bert-mean";
const WEIGHTS = await readFile(join(FIXTURES, "st-bert-mean/model.safetensors"));
const WEIGHTS_SHA = createHash("sha256").update(WEIGHTS).digest("hex");

let hub: TestHub;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-hub-timeout-"));
  hub = await startTestHub();
});

afterEach(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

const opts = (env: Record<string, string> = {}, extra: HubOptions = {}): HubOptions => ({
  cacheDir: join(root, "cache"),
  endpoint: hub.url,
  env: { HF_HOME: join(root, "hf-home"), ...env },
  retryBaseMs: 1,
  maxRetries: 1,
  ...extra,
});

describe("hub timeouts", () => {
  it("a hub that accepts the connection and never answers: the response-headers timeout (HF_HUB_ETAG_TIMEOUT)", async () => {
    hub.hang("/api/models/");
    const e = await failure(downloadModel(ID, opts({ HF_HUB_ETAG_TIMEOUT: "0.2" })));
    expect(e.code).toBe("NETWORK_ERROR");
    const host = new URL(hub.url).host;
    expect(e.message).toContain(`no response headers from ${host} within 0.2 s (HF_HUB_ETAG_TIMEOUT; connecting included)`);
    expect(e.message).toMatch(/on each of 2 tries; the retry budget is at most 0\.4\d* s in all/);
    expect(hub.count("GET", "/api/models/")).toBe(2);
  });

  it("the file HEAD is bounded by the same timeout, given as an option", async () => {
    hub.hang("/resolve/");
    const e = await failure(downloadModel(ID, opts({}, { etagTimeout: 0.15, maxRetries: 0 })));
    expect(e.code).toBe("NETWORK_ERROR");
    expect(e.message).toContain("within 0.15 s (HF_HUB_ETAG_TIMEOUT");
    expect(e.message).toContain('file "modules.json"');
    expect(e.message).toContain("on each of 1 tries");
  });

  it("headers, then a body that stalls mid-file: the idle-body timeout (HF_HUB_DOWNLOAD_TIMEOUT), resumed and given up after the budget", async () => {
    hub.stall("/cdn-lfs/", 1, 100_000); // the first GET sends 100 000 bytes, then nothing
    hub.stall("/cdn-lfs/"); // every later GET sends headers, then nothing
    const e = await failure(downloadModel(ID, opts({ HF_HUB_DOWNLOAD_TIMEOUT: "0.2" })));
    expect(e.code).toBe("NETWORK_ERROR");
    const host = new URL(hub.url).host;
    expect(e.message).toContain(`the response body from ${host} stalled: no bytes for 0.2 s (HF_HUB_DOWNLOAD_TIMEOUT)`);
    expect(e.message).toContain('file "model.safetensors"');
    expect(e.message).toMatch(/on each of 2 tries; the retry budget is at most 0\.4\d* s in all without progress/);
    // The bytes before the stall were kept and the next try asked only for the rest.
    const ranges = hub.requests.filter((q) => q.path.startsWith("/cdn-lfs/")).map((q) => q.range);
    expect(ranges).toEqual([undefined, "bytes=100000-"]);
    const part = join(root, "cache", "models--sbert-test--st-bert-mean", "blobs", `${WEIGHTS_SHA}.incomplete`);
    expect((await stat(part)).size).toBe(100_000);
  });

  it("a download resumed after a stall gives the verified file", async () => {
    hub.stall("/cdn-lfs/", 1, 100_000);
    const r = await downloadModel(ID, opts({ HF_HUB_DOWNLOAD_TIMEOUT: "0.2" }));
    expect(hub.requests.filter((q) => q.path.startsWith("/cdn-lfs/")).map((q) => q.range)).toEqual([undefined, "bytes=100000-"]);
    expect((await readFile(join(r.dir, "model.safetensors"))).equals(WEIGHTS)).toBe(true);
  });

  it("refuses a timeout that is not a positive number of seconds", async () => {
    for (const bad of ["0", "-1", "ten", "Infinity"]) {
      const e = await failure(downloadModel(ID, opts({ HF_HUB_DOWNLOAD_TIMEOUT: bad })));
      expect(e.code).toBe("INVALID_INPUT");
      expect(e.message).toContain("HF_HUB_DOWNLOAD_TIMEOUT must be a positive number of seconds");
    }
    expect(hub.requests).toEqual([]);
  });
});
