/**
 * The frame of a streamed text command (`encode`, `tokenize`): the output is opened first (an
 * unwritable `-o` fails before any work), the input is checked and its first chunk read (a bad
 * input fails before the model loads), then the command's body consumes chunks and writes lines;
 * the output is committed at the end, or discarded on any error.
 *
 * @example
 * await runStreamed(opts, io, { maxTexts: 4096, maxChars: 1 << 23 }, async (texts, out) => {
 *   const model = await load();
 *   for await (const chunk of texts.chunks) await out.writeLines(chunk.map(f));
 * });
 */
import { type ShowProgressBar, startProgress } from "../progress.js";
import { type InputFormat, type LineSink, openOutput } from "./io.js";
import type { LineItems } from "./image-lines.js";
import type { CliIo } from "./streams.js";
import { type ChunkLimits, openTextInput } from "./text-input.js";

export interface StreamedPaths {
  input: string;
  output: string;
  inputFormat?: InputFormat;
}

export interface StreamedTexts<T = never> {
  /** The number of texts when known before reading (file inputs). */
  total: number | undefined;
  /** Whether the input has no texts. */
  empty: boolean;
  /** The texts in input order, chunk by chunk (read once). */
  chunks: AsyncIterable<(string | T)[]>;
}

/**
 * Runs `body` over the streamed texts of `paths.input`, writing to `paths.output`; see the file
 * comment. `items` (a function of the input path, e.g. `imageLines`) reads JSON Lines lines as
 * more than texts.
 */
export async function runStreamed<T = never>(
  paths: StreamedPaths,
  io: CliIo,
  limits: ChunkLimits,
  body: (texts: StreamedTexts<T>, out: LineSink) => Promise<void>,
  items?: (input: string) => LineItems<T>,
): Promise<void> {
  const out = await openOutput(paths.output, io);
  try {
    const input = await openTextInput<T>(paths.input, paths.inputFormat, io, ...(items ? [items(paths.input)] : []));
    const rest = input.chunks(limits);
    const first = await rest.next();
    const chunks = (async function* () {
      if (first.done) return;
      yield first.value;
      yield* rest;
    })();
    await body({ total: input.total, empty: first.done === true, chunks }, out);
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/**
 * A progress bar over streamed chunks: the total is the input's when known, else the texts read
 * so far. `read(n)` when a chunk of n texts is read, `done(n)` when it is written.
 */
export function chunkProgress(show: ShowProgressBar, label: string, total: number | undefined, unit: string): { read(n: number): void; done(n: number): void; finish(): void } {
  const bar = startProgress(show, label, total ?? 0, unit);
  let seen = 0;
  return {
    read(n) {
      seen += n;
      if (total === undefined) bar?.setTotal(seen);
    },
    done: (n) => bar?.tick(n),
    finish: () => bar?.finish(),
  };
}
