/**
 * A static embedding model (StaticEmbedding: no Transformer, no backend): `sbert info` describes
 * it; `sbert serve` refuses it at start with a clear message (it never truncates, so a batch has no
 * token bound) instead of failing on the first request.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "../../src/server/server.js";
import { runCli } from "../helpers/cli.js";
import { readGolden } from "../helpers/fixtures.js";
import { ROOT } from "./helpers.js";

const STATIC = join(ROOT, "test/fixtures/st-static-embedding");
const golden = readGolden(STATIC);

describe("a static embedding model outside the library", () => {
  it("sbert info describes it: native only, no max length", async () => {
    const info = await runCli(["info", "-m", STATIC, "--json"]);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ engines: ["native"], backend: "native", max_seq_length: null, embedding_dimension: golden["embedding_dimension"] });
    expect((await runCli(["info", "-m", STATIC])).stdout).toMatch(/engines: +native only\n/);
  });

  it("sbert serve refuses it at start, saying why", async () => {
    const server = await startServer({ model: STATIC, port: 0, host: "127.0.0.1" });
    try {
      await expect(server.ready).rejects.toThrow(/never truncates its inputs .* serving static models is not supported yet/);
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});
