/**
 * A nearly full disk, injected: every FileHandle opened through node:fs/promises writes at most
 * `disk.left` more bytes in all, then reports 0 bytes written without an error (what the kernel
 * does when a write only partly fits). Nothing may be renamed into place or reported as success.
 */
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { runCli } from "../../test/helpers/cli.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { writeJson } from "../models/save.js";
import { writeSafetensors } from "./safetensors.js";

const disk = vi.hoisted(() => ({ left: Number.POSITIVE_INFINITY }));

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const open: typeof real.open = async (...args) => {
    const fh = await real.open(...args);
    const write = fh.write.bind(fh) as (b: Uint8Array, o?: number, l?: number, p?: number | null) => Promise<{ bytesWritten: number; buffer: Uint8Array }>;
    (fh as unknown as { write: typeof write }).write = async (b, o = 0, l = b.length - o, p = null) => {
      const n = Math.min(l, disk.left);
      disk.left -= n;
      return n === 0 ? { bytesWritten: 0, buffer: b } : write(b, o, n, p);
    };
    return fh;
  };
  return { ...real, open, default: { ...real, open } };
});

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-short-write-"));
});
afterEach(async () => {
  disk.left = Number.POSITIVE_INFINITY;
  await rm(tmp, { recursive: true, force: true });
});

describe("short writes", () => {
  it("sbert export-onnx fails with WRITE_FAILED and leaves no file at the destination", async () => {
    disk.left = 100_000; // the graph is larger
    const r = await runCli(["export-onnx", "--model", join(FIXTURES, "st-bert-mean"), "--output", tmp]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sbert: Could not write .*model\.onnx: the system wrote nothing \(is the disk full\?\)/);
    expect(r.stdout).toBe("");
    expect(await readdir(tmp)).toEqual([]);
    disk.left = Number.POSITIVE_INFINITY;
    const ok = await runCli(["export-onnx", "--model", join(FIXTURES, "st-bert-mean"), "--output", tmp]);
    expect(ok.code).toBe(0);
    expect(await readdir(tmp)).toEqual(["model.onnx"]);
  });

  it("a first load that cannot write its ONNX cache entry fails, keeps no entry, and works once there is space", async () => {
    const dir = join(tmp, "model");
    await cp(join(FIXTURES, "st-bert-mean"), dir, { recursive: true });
    await rm(join(dir, "onnx"), { recursive: true });
    const cache = join(tmp, "cache");
    disk.left = 100_000;
    await expect(SentenceTransformer.load(dir, { backend: "onnx", onnxCache: cache })).rejects.toMatchObject({ code: "WRITE_FAILED" });
    expect(await readdir(cache)).toEqual([]);
    disk.left = Number.POSITIVE_INFINITY;
    const model = await SentenceTransformer.load(dir, { backend: "onnx", onnxCache: cache });
    await model.dispose();
    expect((await readdir(cache)).length).toBe(1);
  });

  it("safetensors and JSON saves fail with WRITE_FAILED and keep nothing", async () => {
    disk.left = 10;
    const tensors = new Map([["w", { shape: [4], data: new Float32Array(4) }]]);
    await expect(writeSafetensors(join(tmp, "model.safetensors"), tensors)).rejects.toMatchObject({ code: "WRITE_FAILED" });
    disk.left = 10;
    await expect(writeJson(join(tmp, "config.json"), { hidden_size: 384, num_attention_heads: 12 })).rejects.toMatchObject({ code: "WRITE_FAILED" });
    expect(await readdir(tmp)).toEqual([]);
  });
});
