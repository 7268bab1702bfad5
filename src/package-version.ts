/**
 * This package's version, from the package.json one folder above this file (`src/` when run from
 * source, `dist/` when installed): the CLI's `--version`, the server's `/info`, the ONNX graphs'
 * `producer_version` and the `__version__.sbert_ts` of saved models all read it here.
 *
 * @example
 * packageVersion(); // "0.1.0"
 */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The `version` of package.json, or "unknown" when it cannot be read (read once). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const v = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown }).version;
      cached = typeof v === "string" ? v : "unknown";
    } catch {
      cached = "unknown";
    }
  }
  return cached;
}
