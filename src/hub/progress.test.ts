import { expect, it } from "vitest";
import { progressBar, wantsProgressBar } from "./progress.js";

it("draws a bar for large files only, and ends the line when a file is done", () => {
  let out = "";
  const bar = progressBar({ write: (s: string) => (out += s) }, { intervalMs: 0, width: 10 });
  bar({ repoId: "a/b", file: "config.json", loaded: 10, total: 10, done: true });
  expect(out).toBe("");
  bar({ repoId: "a/b", file: "model.safetensors", loaded: 45_000_000, total: 90_000_000, done: false });
  bar({ repoId: "a/b", file: "model.safetensors", loaded: 90_000_000, total: 90_000_000, done: true });
  expect(out).toBe("\rmodel.safetensors  [#####-----]   50%  45.0/90.0 MB\rmodel.safetensors  [##########]  100%  90.0/90.0 MB\n");
});

it("shows on a terminal, or when SBERT_PROGRESS says so", () => {
  expect(wantsProgressBar({ isTTY: true }, {})).toBe(true);
  expect(wantsProgressBar({}, {})).toBe(false);
  expect(wantsProgressBar({}, { SBERT_PROGRESS: "1" })).toBe(true);
  expect(wantsProgressBar({ isTTY: true }, { SBERT_PROGRESS: "0" })).toBe(false);
});
