import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { withLock } from "./lock.js";

it("serializes holders of the same lock and removes the file afterwards", async () => {
  const dir = await mkdtemp(join(tmpdir(), "sbert-lock-"));
  try {
    const path = join(dir, "x.lock");
    const events: string[] = [];
    const hold = (name: string) =>
      withLock(path, async () => {
        events.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${name}-`);
      });
    await Promise.all([hold("a"), hold("b"), hold("c")]);
    for (let i = 0; i < events.length; i += 2) expect((events[i] as string)[0]).toBe((events[i + 1] as string)[0]);
    expect(await readdir(dir)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it("takes over a lock nobody has touched for staleMs (a holder on another machine that died)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "sbert-lock-"));
  try {
    const path = join(dir, "x.lock");
    await writeFile(path, "123\nother-host\nx\n");
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    expect(await withLock(path, async () => "ran", { staleMs: 5_000 })).toBe("ran");
    await writeFile(path, "123\nother-host\nx\n");
    await expect(withLock(path, async () => "ran", { staleMs: 60_000, timeoutMs: 100 })).rejects.toThrow(/timed out/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
