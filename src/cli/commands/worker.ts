import { type Command, Option } from "commander";
import { runWorker } from "../../queue/encode-queue.js";
import { parsePositiveInt } from "../options.js";
import { chunkProcessor } from "../queue-encode.js";
import type { CliIo } from "../streams.js";

interface WorkerCliOptions {
  queue: string;
  lockMs: number;
}

/** `sbert worker --queue redis://HOST:PORT`: encodes the chunk jobs of `sbert encode --queue` until SIGINT / SIGTERM. */
export function registerWorker(program: Command, io: CliIo): void {
  program
    .command("worker")
    .summary("take chunk jobs of `sbert encode --queue` from Redis (BullMQ) and encode them")
    .description(
      "Run any number of these, on machines that see the input file and the work folder at the same paths. " +
        "Each loads a job's model once and keeps it, encodes one chunk at a time and writes the chunk's file " +
        "atomically. A worker that dies mid-chunk loses nothing: once its job lock expires, another worker takes " +
        "the chunk. Stops after the current chunk on SIGINT or SIGTERM.",
    )
    .requiredOption("--queue <url>", "Redis URL, redis://HOST:PORT")
    .addOption(new Option("--lock-ms <n>", "job lock: a worker silent this long (ms) is presumed dead and its chunk handed to another; longer than one chunk's encode").argParser(parsePositiveInt).default(30000))
    .action(async (opts: WorkerCliOptions) => {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const work = chunkProcessor(io);
      try {
        await runWorker(work.process, { queueUrl: opts.queue, lockMs: opts.lockMs, log: (line) => void io.stderr.write(`sbert worker ${process.pid}: ${line}\n`) }, stop.signal);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await work.dispose();
      }
    });
}
