/**
 * `sbert encode --queue redis://HOST:PORT` (producer) and the chunk work of `sbert worker`: the
 * CLI half of src/queue/encode-queue.ts. The producer checks the input as `sbert encode` does,
 * plans chunks of `--chunk-size` texts by line and byte offsets, queues the chunks not yet
 * written, and merges the chunk files into `--output` in order; the file is byte-identical to a
 * single-process `sbert encode` of the same input and options (rows do not depend on how texts
 * are batched, and a chunk's rows are formatted as `encode` formats them).
 */
import { open, readFile, readdir, rm, stat, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { EncodeOptions, Precision, SentenceTransformer } from "../models/sentence-transformer.js";
import { writeFileAtomic } from "../io/write-file-atomic.js";
import { SbertError } from "../errors.js";
import { progressStream, startProgress } from "../progress.js";
import { type EncodeChunkJob, chunkFileName, planId, produceChunks } from "../queue/encode-queue.js";
import { UsageError } from "./errors.js";
import { type InputFormat, STDIO, inputName, openOutput } from "./io.js";
import { formatNumberArray } from "./json-format.js";
import { decodeLine, isBlank, jsonLineText } from "./line-parse.js";
import { type CliModelOptions, loadSentenceTransformer } from "./model.js";
import type { CliIo } from "./streams.js";
import { openTextInput } from "./text-input.js";

/** The `sbert encode` options a queued encode passes to its workers. */
export interface QueueEncodeOptions extends CliModelOptions {
  model: string;
  input: string;
  output: string;
  inputFormat?: InputFormat;
  batchSize: number;
  normalize?: boolean;
  promptName?: string;
  prompt?: string;
  truncateDim?: number;
  precision: Precision;
  outputValue: string;
  chunkSize?: number;
  queue: string;
  workDir?: string;
}

/** Texts per chunk job when --chunk-size is not given. */
const DEFAULT_CHUNK = 4096;
const PLAN = "plan.json";

export async function encodeViaQueue(opts: QueueEncodeOptions, io: CliIo): Promise<void> {
  if (opts.input === STDIO) throw new UsageError("--queue needs --input FILE: workers read their chunks from the file (on a path every worker can read)");
  if (opts.output === STDIO) throw new UsageError("--queue needs --output FILE: the chunk results are merged into it");
  if (opts.outputValue !== "sentence_embedding") throw new UsageError("--queue encodes sentence embeddings; --output-value token_embeddings runs in one process only");
  if (opts.precision === "int8" || opts.precision === "uint8") throw new UsageError("--precision int8/uint8 takes its ranges from every embedding of the input, so it cannot be split into chunks; use float32, binary or ubinary with --queue");
  const input = resolve(opts.input);
  const out = await openOutput(opts.output, io); // an unwritable output fails before any work
  try {
    const text = await openTextInput(input, opts.inputFormat, io);
    const info = await stat(input);
    if (text.format === undefined || !info.isFile()) throw new UsageError("--queue needs --input to be a regular file");
    const workDir = resolve(opts.workDir ?? `${opts.output}.parts`);
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
    const options = {
      model: (await stat(opts.model).catch(() => undefined)) ? resolve(opts.model) : opts.model, // a folder: the same on every worker that shares it
      ...pick(opts, ["revision", "backend", "threads", "onnxFile", "normalize", "promptName", "prompt", "truncateDim"]),
      batchSize: opts.batchSize,
      precision: opts.precision,
    };
    const id = planId({ input, size: info.size, mtime: info.mtimeMs, format: text.format, chunkSize, options });
    const jobs = (await planChunks(input, text.format, chunkSize)).map((c, chunk, all): EncodeChunkJob => ({ version: 1, planId: id, input, inputBytes: info.size, format: text.format!, chunk, chunks: all.length, workDir, options, ...c }));
    await prepareWorkDir(workDir, id);
    const bar = startProgress(progressStream(io), "encode", jobs.length, "chunks");
    let shown = 0;
    await produceChunks(jobs, {
      queueUrl: opts.queue,
      onProgress: (done) => {
        bar?.tick(done - shown);
        shown = done;
      },
    });
    bar?.finish();
    for (const j of jobs) {
      const body = await readFile(join(workDir, chunkFileName(j.chunk)), "utf8");
      await out.writeLines(body === "" ? [] : body.slice(0, -1).split("\n"));
    }
    await out.commit();
    await rm(workDir, { recursive: true, force: true });
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** A work folder of another plan (other input or options) has its chunk files removed first. */
async function prepareWorkDir(dir: string, id: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const old = await readFile(join(dir, PLAN), "utf8").catch(() => undefined);
  if (old !== undefined && (JSON.parse(old) as { plan_id?: string }).plan_id === id) return;
  for (const name of await readdir(dir)) if (/^chunk-\d+\.jsonl$/.test(name)) await rm(join(dir, name), { force: true });
  await writeFileAtomic(join(dir, PLAN), `${JSON.stringify({ plan_id: id })}\n`);
}

type ChunkRange = Pick<EncodeChunkJob, "textStart" | "textEnd" | "lineStart" | "byteStart" | "byteEnd">;

/** Chunks of `chunkSize` texts: where each starts (line, byte) in the file. */
export async function planChunks(path: string, format: "jsonl" | "txt", chunkSize: number): Promise<ChunkRange[]> {
  const starts: { text: number; line: number; byte: number }[] = [];
  let texts = 0;
  const size = await forEachLine(path, 0, undefined, 1, (line, lineNo, byte) => {
    if (format === "jsonl" && isBlank(decodeLine(line, lineNo, inputName(path)))) return;
    if (texts % chunkSize === 0) starts.push({ text: texts, line: lineNo, byte });
    texts++;
  });
  return starts.map((s, i) => ({ textStart: s.text, textEnd: starts[i + 1]?.text ?? texts, lineStart: s.line, byteStart: s.byte, byteEnd: starts[i + 1]?.byte ?? size }));
}

/**
 * Calls `f(lineBytes, lineNo, byteOffset)` for each line of bytes [from, to) of `path` (to: the
 * end), `\n` excluded; a last line without `\n` counts when non-empty, as `sbert encode` reads it.
 * Returns the end offset.
 */
async function forEachLine(path: string, from: number, to: number | undefined, firstLine: number, f: (line: Uint8Array, lineNo: number, byte: number) => void): Promise<number> {
  const fh = await open(path, "r");
  try {
    const end = to ?? (await fh.stat()).size;
    let carry = new Uint8Array(0);
    let lineNo = firstLine;
    let lineStart = from;
    for (let pos = from; pos < end; ) {
      const buf = new Uint8Array(Math.min(1 << 20, end - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw new SbertError("INVALID_INPUT", `${path} ended at byte ${pos}, before byte ${end}; was it changed during the encode?`);
      pos += bytesRead;
      const data = carry.length === 0 ? buf.subarray(0, bytesRead) : Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      let s = 0;
      for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, s)) {
        f(data.subarray(s, nl), lineNo++, lineStart);
        lineStart += nl + 1 - s;
        s = nl + 1;
      }
      carry = data.slice(s);
    }
    if (carry.length > 0) f(carry, lineNo, lineStart);
    return end;
  } finally {
    await fh.close();
  }
}

/** The texts of one chunk job, read from its byte range and parsed by `sbert encode`'s rules. */
export async function chunkTexts(job: EncodeChunkJob): Promise<string[]> {
  const info = await stat(job.input);
  if (info.size !== job.inputBytes) throw new SbertError("INVALID_INPUT", `${job.input} has ${info.size} bytes, but the encode was planned on ${job.inputBytes}; it changed during the encode`);
  const name = inputName(job.input);
  const texts: string[] = [];
  await forEachLine(job.input, job.byteStart, job.byteEnd, job.lineStart, (bytes, lineNo) => {
    const line = decodeLine(bytes, lineNo, name);
    if (job.format === "txt") texts.push(line);
    else if (!isBlank(line)) texts.push(jsonLineText(line, lineNo, name));
  });
  if (texts.length !== job.textEnd - job.textStart) throw new SbertError("INVALID_INPUT", `${job.input}: lines ${job.lineStart}.. hold ${texts.length} texts where the plan has ${job.textEnd - job.textStart}; it changed during the encode`);
  return texts;
}

/** `sbert worker`'s chunk work: keeps the last job's model loaded for the next job of the same model. */
export function chunkProcessor(io: CliIo): { process: (job: EncodeChunkJob) => Promise<void>; dispose: () => Promise<void> } {
  let loaded: { key: string; model: SentenceTransformer } | undefined;
  return {
    async process(job) {
      const o = job.options as Omit<QueueEncodeOptions, "input" | "output" | "queue" | "outputValue">;
      const key = JSON.stringify([o.model, o.revision, o.backend, o.threads, o.onnxFile]);
      if (loaded?.key !== key) {
        await loaded?.model.dispose();
        loaded = undefined;
        loaded = { key, model: await loadSentenceTransformer(o.model, o, io) };
      }
      const texts = await chunkTexts(job);
      const encodeOpts: EncodeOptions = {
        batchSize: o.batchSize,
        ...(o.normalize ? { normalizeEmbeddings: true } : {}),
        ...(o.promptName !== undefined ? { promptName: o.promptName } : {}),
        ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
        ...(o.truncateDim !== undefined ? { truncateDim: o.truncateDim } : {}),
      };
      // Encoded a few batches at a time, yielding in between: the worker's job lock is renewed on
      // the event loop, and a loop blocked for a whole chunk would look like a dead worker. The
      // rows do not depend on how texts are grouped into calls.
      const step = o.batchSize;
      const lines: string[] = [];
      for (let s = 0; s < texts.length; s += step) {
        const m = await loaded.model.encode(texts.slice(s, s + step), { ...encodeOpts, precision: o.precision, outputValue: "sentence_embedding" });
        for (let r = 0; r < m.rows; r++) lines.push(formatNumberArray(m.row(r)) + "\n");
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await writeFileAtomic(join(job.workDir, chunkFileName(job.chunk)), lines.join(""));
    },
    dispose: async () => loaded?.model.dispose(),
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
