import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFolderAtomically } from "./save-atomic.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-save-atomic-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("writeFolderAtomically", () => {
  it("reports a full disk as WRITE_FAILED naming the folder, and keeps nothing", async () => {
    const dir = join(tmp, "checkpoint-3");
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    await expect(writeFolderAtomically(dir, async () => Promise.reject(full))).rejects.toMatchObject({
      code: "WRITE_FAILED",
      message: `Could not write "${dir}" (ENOSPC: the disk or quota is full); nothing was kept. Free space (or choose another location) and retry.`,
    });
    expect(await readdir(tmp)).toEqual([]);
  });
});
