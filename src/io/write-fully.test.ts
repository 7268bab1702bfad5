import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type WritableHandle, writeFully } from "./write-fully.js";

/** A handle that writes at most `max` bytes per call and nothing after `limit` bytes in all. */
function shortWriter(max: number, limit = Infinity): WritableHandle & { out: number[] } {
  const out: number[] = [];
  return {
    out,
    async write(buf, off, len) {
      const n = Math.max(0, Math.min(len, max, limit - out.length));
      for (let i = 0; i < n; i++) out.push(buf[off + i] as number);
      return { bytesWritten: n };
    },
  };
}

describe("writeFully", () => {
  it("loops over short writes until every byte is written", async () => {
    const h = shortWriter(3);
    await writeFully(h, "hello, world", "x.txt");
    expect(Buffer.from(h.out).toString()).toBe("hello, world");
  });
  it("fails with WRITE_FAILED when the system stops writing", async () => {
    const h = shortWriter(4, 6);
    await expect(writeFully(h, new Uint8Array(10), "out.jsonl")).rejects.toMatchObject({ code: "WRITE_FAILED", message: expect.stringContaining("out.jsonl") });
  });
  it("writes a real file at a position", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wf-"));
    try {
      const fh = await open(join(dir, "f"), "w");
      await writeFully(fh, "abc", "f", 0);
      await writeFully(fh, "de", "f", 3);
      await fh.close();
      expect(await readFile(join(dir, "f"), "utf8")).toBe("abcde");
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
