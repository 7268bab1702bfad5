/** `sbert serve` settings: flags, their environment variables, defaults and usage errors. */
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { DEFAULT_SERVER_CONFIG, SERVE_FLAGS, ServerConfigError, resolveServerConfig } from "../../src/server/config.js";
import { ST_DIR } from "./helpers.js";

describe("resolveServerConfig", () => {
  it("defaults (TEI's where TEI has them) when only the model is given", () => {
    expect(resolveServerConfig({ model: "m" }, {})).toEqual({ ...DEFAULT_SERVER_CONFIG, model: "m" });
    expect(DEFAULT_SERVER_CONFIG).toMatchObject({ port: 8080, host: "127.0.0.1", maxBatchTokens: 16384, maxConcurrentRequests: 512, maxClientBatchSize: 32, autoTruncate: false });
  });

  it("every flag has an SBERT_ variable; the flag wins over the variable", () => {
    expect(SERVE_FLAGS.every((f) => f.env === `SBERT_${f.flag.replace(/^-\w, /, "").replace(/ <.*>$/, "").slice(2).replace(/-/g, "_").toUpperCase()}`)).toBe(true);
    const env = { SBERT_MODEL: "from-env", SBERT_PORT: "9000", SBERT_THREADS: "2", SBERT_AUTO_TRUNCATE: "true", SBERT_API_KEY: "k", SBERT_MAX_INPUT_LENGTH: "128", SBERT_BACKEND: "native", SBERT_REQUEST_TIMEOUT: "500" };
    expect(resolveServerConfig({ port: "9100" }, env)).toMatchObject({ model: "from-env", port: 9100, threads: 2, autoTruncate: true, apiKey: "k", maxInputLength: 128, backend: "native", requestTimeoutMs: 500 });
    expect(resolveServerConfig({ model: "m", autoTruncate: true }, { SBERT_AUTO_TRUNCATE: "0" }).autoTruncate).toBe(true);
    expect(resolveServerConfig({ model: "m" }, { SBERT_AUTO_TRUNCATE: "false" }).autoTruncate).toBe(false);
  });

  it.each([
    [{ model: "m", port: "http" }, {}, /^--port: expected an integer/],
    [{ model: "m" }, { SBERT_MAX_BATCH_TOKENS: "0" }, /^SBERT_MAX_BATCH_TOKENS: expected an integer from 1/],
    [{ model: "m" }, { SBERT_AUTO_TRUNCATE: "maybe" }, /^SBERT_AUTO_TRUNCATE: expected true or false/],
    [{ model: "m", backend: "gpu" }, {}, /^--backend: expected one of auto, native, onnx/],
    [{}, {}, /no model: pass --model <dir\|id> or set SBERT_MODEL/],
    [{ model: "m", maxInputLength: "512", maxBatchTokens: "256" }, {}, /--max-input-length 512 is larger than --max-batch-tokens 256/],
  ])("%j %j → %s", (flags, env, message) => {
    expect(() => resolveServerConfig(flags, env)).toThrow(ServerConfigError);
    expect(() => resolveServerConfig(flags, env)).toThrow(message);
  });
});

describe("sbert serve (CLI)", () => {
  const io = (env: Record<string, string> = {}) => {
    let err = "";
    return { io: { stdout: { write: () => true }, stderr: { write: (s: string) => void (err += s) }, env }, err: () => err };
  };

  it("a bad flag or variable is a usage error (exit 2) naming it", async () => {
    const a = io();
    expect(await run(["serve", "--model", ST_DIR, "--port", "abc"], a.io)).toBe(2);
    expect(a.err()).toContain("--port: expected an integer");
    const b = io({ SBERT_MAX_CLIENT_BATCH_SIZE: "-1" });
    expect(await run(["serve", "--model", ST_DIR], b.io)).toBe(2);
    expect(b.err()).toContain("SBERT_MAX_CLIENT_BATCH_SIZE");
  });

  it("a model that does not load is a runtime error (exit 1)", async () => {
    const c = io();
    expect(await run(["serve", "--model", `${ST_DIR}/does-not-exist`, "--port", "0"], c.io)).toBe(1);
    expect(c.err()).toContain("failed to load");
  });

  it("--help lists every flag with its variable", async () => {
    let out = "";
    await run(["serve", "--help"], { stdout: { write: (s: string) => void (out += s) }, stderr: { write: () => true }, env: {} });
    for (const f of SERVE_FLAGS) expect(out).toContain(f.env);
  });
});
