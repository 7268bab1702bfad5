import { CommanderError } from "commander";
import { SbertError } from "../errors.js";

/**
 * A command line the CLI cannot act on: a bad option value, or one that does not fit the model
 * (e.g. `--truncate-dim` larger than the embedding dimension). Exit status 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Runtime failure: unreadable input, a model that does not load, a library error. */
export const EXIT_RUNTIME = 1;
/** Usage error: the command line itself is wrong. */
export const EXIT_USAGE = 2;

/**
 * Exit status for an error thrown while parsing or running a command. Commander's own exits (help,
 * version) keep their status 0; any other commander error is a usage error.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
    if (err.code === "commander.help") return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) return EXIT_USAGE;
  return EXIT_RUNTIME;
}

/** The one line printed for an error (without the `sbert: ` prefix); a stack only when `debug`. */
export function describeError(err: unknown, debug: boolean): string {
  if (debug && err instanceof Error && err.stack) return err.stack;
  if (err instanceof SbertError || err instanceof UsageError) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return `${code ? `${code}: ` : ""}${err.message} (set SBERT_DEBUG=1 for a stack trace)`;
  }
  return String(err);
}
