import { describe, expect, it } from "vitest";
import { SbertError } from "./errors.js";
import { ProgressLine, formatDuration, progressStream, startProgress } from "./progress.js";

function sink(): { out: string[]; write(s: string): void } {
  const out: string[] = [];
  return { out, write: (s) => void out.push(s) };
}

describe("ProgressLine", () => {
  it("draws items, items/s and ETA, throttled, and ends with one newline", () => {
    const s = sink();
    let t = 0;
    const bar = new ProgressLine(s, "encode", 100, "texts", { width: 10, intervalMs: 100, now: () => t });
    t = 1000;
    bar.tick(25);
    t = 1050;
    bar.tick(25); // within 100 ms of the last draw: not drawn
    t = 2000;
    bar.tick(25);
    bar.finish(100);
    bar.finish();
    expect(s.out).toEqual([
      "\rencode  [###-------]   25%  25/100 texts  25.0 texts/s  ETA 3s",
      "\rencode  [########--]   75%  75/100 texts  37.5 texts/s  ETA 1s",
      "\rencode  [##########]  100%  100/100 texts  50.0 texts/s  ETA 0s\n",
    ]);
  });

  it("pads over a longer previous line instead of using terminal escapes", () => {
    const s = sink();
    let t = 0;
    const bar = new ProgressLine(s, "x", 10, "rows", { intervalMs: 0, now: () => t });
    t = 1;
    bar.update(5);
    t = 100_000;
    bar.update(6);
    const [a, b] = s.out as [string, string];
    expect(b.length).toBeGreaterThanOrEqual(a.length);
    expect(s.out.join("")).not.toContain("\x1b");
  });

  it("an empty job draws a full bar", () => {
    const s = sink();
    new ProgressLine(s, "predict", 0, "pairs", { now: () => 0 }).finish();
    expect(s.out.join("")).toContain("100%  0/0 pairs");
  });
});

describe("startProgress / progressStream", () => {
  it("draws nothing unless asked; a stream draws there; anything else is INVALID_INPUT", () => {
    expect(startProgress(undefined, "a", 1, "x")).toBeUndefined();
    expect(startProgress(false, "a", 1, "x")).toBeUndefined();
    const s = sink();
    startProgress(s, "a", 1, "x")?.finish();
    expect(s.out.join("")).toMatch(/^\ra .*\n$/);
    expect(() => startProgress("yes" as unknown as boolean, "a", 1, "x")).toThrow(SbertError);
  });

  it("the CLI's stream: stderr on a terminal or with SBERT_PROGRESS=1, never with SBERT_PROGRESS=0", () => {
    const stderr = { write: () => true };
    expect(progressStream({ stderr, env: {} })).toBe(false);
    expect(progressStream({ stderr, env: { SBERT_PROGRESS: "1" } })).toBe(stderr);
    const tty = { write: () => true, isTTY: true };
    expect(progressStream({ stderr: tty, env: {} })).toBe(tty);
    expect(progressStream({ stderr: tty, env: { SBERT_PROGRESS: "0" } })).toBe(false);
  });

  it("formats durations", () => {
    expect(formatDuration(3725)).toBe("1h02m05s");
    expect(formatDuration(65)).toBe("1m05s");
    expect(formatDuration(NaN)).toBe("?");
  });
});

describe("ProgressLine: resumed counts, a suffix and notes (the training bar)", () => {
  it("rates count from startCount; the suffix follows the ETA; a note takes its own line and the bar redraws", () => {
    const s = sink();
    let t = 0;
    let loss = 0.5;
    const bar = new ProgressLine(s, "train", 10, "steps", { width: 10, intervalMs: 100, now: () => t, startCount: 4, formatRate: (n) => n.toFixed(2), suffix: () => `  loss ${loss.toFixed(4)}` });
    t = 1000;
    bar.update(6);
    bar.note("step 6: eval_loss 0.1000");
    t = 1010; // within 100 ms, but a note forces the next draw
    loss = 0.25;
    bar.update(7);
    bar.finish();
    const first = "train  [######----]   60%  6/10 steps  2.00 steps/s  ETA 2s  loss 0.5000";
    const note = "step 6: eval_loss 0.1000";
    expect(s.out).toEqual([
      `\r${first}`,
      `\r${note}${" ".repeat(first.length - note.length)}\n`,
      "\rtrain  [#######---]   70%  7/10 steps  2.97 steps/s  ETA 1s  loss 0.2500",
      "\rtrain  [#######---]   70%  7/10 steps  2.97 steps/s  ETA 0s  loss 0.2500\n",
    ]);
  });
});
