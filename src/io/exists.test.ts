import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFile, pathExists } from "./exists.js";

describe("pathExists / isFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sbert-exists-"));
    await writeFile(join(dir, "f.txt"), "x");
    await symlink(join(dir, "f.txt"), join(dir, "link"));
    await symlink(join(dir, "gone"), join(dir, "dangling"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("a file, a folder and a link to a file exist; a missing path and a dangling link do not", async () => {
    expect(await Promise.all(["f.txt", ".", "link", "missing", "dangling", "f.txt/below"].map((p) => pathExists(join(dir, p))))).toEqual([true, true, true, false, false, false]);
  });

  it("isFile: regular files (through links) only", async () => {
    expect(await Promise.all(["f.txt", ".", "link", "dangling"].map((p) => isFile(join(dir, p))))).toEqual([true, false, true, false]);
  });
});
