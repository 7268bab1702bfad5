/**
 * The chunk plan of `sbert encode --queue` without Redis: for awkward inputs (blank JSON Lines,
 * a BOM, CRLF, no final newline, empty text lines, multi-byte UTF-8 across read blocks), the texts
 * the workers read from their byte ranges, chunk after chunk, are exactly the texts `sbert encode`
 * reads, in order, for every chunk size; and a file changed after planning is refused.
 */
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EncodeChunkJob } from "../queue/encode-queue.js";
import { SbertError } from "../errors.js";
import { readTexts } from "./io.js";
import { chunkTexts, planChunks } from "./queue-encode.js";

const io = { stdin: process.stdin, stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-plan-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const long = "é".repeat(700_000); // 1.4 MB of 2-byte characters: lines cross the 1 MiB read blocks
const CASES: [string, string][] = [
  ["a.jsonl", '\uFEFF"first"\n\n  \n{"text": "second", "id": 3}\r\n"third"\n\t\n"last, no newline"'],
  ["b.txt", "\uFEFFone\r\n\ntwo\n   \nthree"],
  ["c.txt", "x\ny\n"],
  ["d.jsonl", `"${long}"\n"after"\n\n"${long}b"\n`],
  ["e.txt", `${long}\n\n${long}\nend`],
];

describe("planChunks + chunkTexts read what sbert encode reads", () => {
  for (const [name, body] of CASES) {
    it(name, async () => {
      const path = join(dir, name);
      await writeFile(path, body);
      const want = await readTexts(path, undefined, io);
      const format = name.endsWith(".jsonl") ? "jsonl" : "txt";
      for (const size of [1, 2, 3, 1000]) {
        const plan = await planChunks(path, format, size);
        const got: string[] = [];
        for (const [i, c] of plan.entries()) {
          const job: EncodeChunkJob = { version: 1, planId: "p", input: path, inputBytes: Buffer.byteLength(body), format, chunk: i, chunks: plan.length, workDir: dir, options: {}, ...c };
          got.push(...(await chunkTexts(job)));
        }
        expect(got, `chunk size ${size}`).toEqual(want);
        expect(plan.length).toBe(Math.ceil(want.length / size));
      }
    });
  }

  it("a file changed after planning is INVALID_INPUT", async () => {
    const path = join(dir, "changing.txt");
    await writeFile(path, "a\nb\nc\n");
    const [c] = await planChunks(path, "txt", 10);
    await appendFile(path, "d\n");
    const job: EncodeChunkJob = { version: 1, planId: "p", input: path, inputBytes: 6, format: "txt", chunk: 0, chunks: 1, workDir: dir, options: {}, ...c! };
    await expect(chunkTexts(job)).rejects.toThrow(SbertError);
    await expect(chunkTexts(job)).rejects.toThrow(/changed during the encode/);
  });
});
