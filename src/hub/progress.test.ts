import { expect, it } from "vitest";
import { progressBar, wantsProgressBar } from "./progress.js";

it("draws a bar for large files only, with speed and ETA, and ends the line when a file is done", () => {
  let out = "";
  let t = 0;
  const bar = progressBar({ write: (s: string) => (out += s) }, { intervalMs: 0, width: 10, now: () => t });
  bar({ repoId: "a/b", file: "config.json", loaded: 10, total: 10, done: true });
  expect(out).toBe("");
  bar({ repoId: "a/b", file: "model.safetensors", loaded: 0, total: 90_000_000, done: false });
  t = 1000;
  bar({ repoId: "a/b", file: "model.safetensors", loaded: 45_000_000, total: 90_000_000, done: false });
  t = 2000;
  bar({ repoId: "a/b", file: "model.safetensors", loaded: 90_000_000, total: 90_000_000, done: true });
  expect(out.split("\r").slice(2)).toEqual([
    "model.safetensors  [#####-----]   50%  45.0/90.0 MB  45.0 MB/s  ETA 1s",
    "model.safetensors  [##########]  100%  90.0/90.0 MB  45.0 MB/s  ETA 0s\n",
  ]);
});

it("shows on a terminal, or when SBERT_PROGRESS says so", () => {
  expect(wantsProgressBar({ isTTY: true }, {})).toBe(true);
  expect(wantsProgressBar({}, {})).toBe(false);
  expect(wantsProgressBar({}, { SBERT_PROGRESS: "1" })).toBe(true);
  expect(wantsProgressBar({ isTTY: true }, { SBERT_PROGRESS: "0" })).toBe(false);
});
