import { Readable } from "node:stream";
import { run } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `sbert` CLI in-process with captured output, `stdin` as standard input and only `env` as environment. */
export async function runCli(args: string[], opts: { stdin?: string | Uint8Array; env?: Record<string, string> } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    stdin: Readable.from([Buffer.from(opts.stdin ?? "")]),
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => ((stderr += s), true) },
    env: opts.env ?? {},
  });
  return { code, stdout, stderr };
}
