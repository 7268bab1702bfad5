import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../../test/helpers/fixtures.js";
import { SbertError } from "../errors.js";
import { CosineSimilarityLoss } from "../losses/cosine-similarity.js";
import { SentenceTransformer } from "../models/sentence-transformer.js";
import { datasetFromColumns } from "./data.js";
import { ProgressBar, TrainingLog } from "./trainer-log.js";
import { SentenceTransformerTrainer } from "./trainer.js";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "sbert-trainer-log-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function caught(fn: () => unknown): SbertError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SbertError);
    return e as SbertError;
  }
  throw new Error("expected an SbertError");
}

// /dev/full: every write fails with ENOSPC, as on a full disk
describe.skipIf(!existsSync("/dev/full"))("TrainingLog on a full disk", () => {
  it("refuses a record it cannot write with WRITE_FAILED naming the file", () => {
    const log = TrainingLog.open("/dev/full");
    const err = caught(() => log.write({ step: 1, loss: 0.5 }));
    expect(err.code).toBe("WRITE_FAILED");
    expect(err.message).toMatch(/^Could not write the training log \/dev\/full: ENOSPC.*; training stopped\. Free space \(or choose another --log\) and resume from the last checkpoint\.$/);
  });

  it("stops training at the first record it cannot write", async () => {
    const dir = join(FIXTURES, "st-bert-mean");
    const model = await SentenceTransformer.load(dir, { backend: "native" });
    const data = datasetFromColumns({ a: ["one", "two"], b: ["uno", "dos"], score: [1, 0] });
    const steps: unknown[] = [];
    const t = new SentenceTransformerTrainer({ model, sourceDir: dir, loss: new CosineSimilarityLoss(), trainDataset: data, logFile: "/dev/full", onLog: (r) => steps.push(r["step"]), args: { batchSize: 1, maxSteps: 2 } });
    await expect(t.train()).rejects.toMatchObject({ code: "WRITE_FAILED", message: expect.stringContaining("/dev/full") });
    expect(steps).toEqual([]);
  });
});

describe("TrainingLog", () => {
  it("keeps the records up to the resumed step, rewriting the file whole, and refuses a folder that does not exist", async () => {
    const path = join(tmp, "log.jsonl");
    await writeFile(path, '{"step":1}\n{"step":2}\n{"step":3}\n{"ste');
    TrainingLog.open(path, 2).write({ step: 3, loss: 1 });
    expect(await readFile(path, "utf8")).toBe('{"step":1}\n{"step":2}\n{"step":3,"loss":1}\n');
    expect(await readdir(tmp)).toEqual(["log.jsonl"]);
    const missing = caught(() => TrainingLog.open(join(tmp, "no", "log.jsonl")));
    expect([missing.code, missing.message]).toEqual(["INVALID_INPUT", expect.stringMatching(/^cannot write the training log ".*no[/\\]log\.jsonl": ENOENT/)]);
  });
});

describe("ProgressBar (the shared ProgressLine of src/progress.ts)", () => {
  it("draws steps, percent, steps/s, ETA, loss and learning rate without terminal escapes", () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s: string) => void out.push(s) }, 10, 2);
    bar.update(3, 0.5, 1e-3, true);
    bar.note("step 3: eval_loss 0.1000");
    bar.update(4, Number.NaN, 1e-3);
    bar.done();
    const text = out.join("");
    expect(out[0]).toMatch(/^\rtrain {2}\[#{6}-{14}\] {3}30% {2}3\/10 steps {2}[\d.]+ steps\/s {2}ETA \S+ {2}loss 0\.5000 {2}lr 1\.00e-3$/);
    expect(out[1]).toMatch(/^\rstep 3: eval_loss 0\.1000 *\n$/);
    expect(out.at(-1)).toMatch(/4\/10 steps .* loss NaN {2}lr 1\.00e-3 *\n$/); // padded over a longer previous line when the rate shrinks
    expect(text).not.toContain("\x1b");
  });
});
