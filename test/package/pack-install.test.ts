/**
 * Installing sbert-ts as a dependency, as a new user does: `npm pack`, then `npm install` of the
 * tarball into an empty project (registry only, the local npm cache first), then an encode from
 * there through `import`, `require` and the `sbert` bin.
 *
 * The machine "reaches only the npm registry": npm and every script it runs preload
 * no-nuget.cjs, under which NuGet's hosts (where onnxruntime-node's install script fetches CUDA
 * binaries on Linux x64) do not resolve; each attempt is logged. No ONNXRUNTIME_NODE_INSTALL
 * variable is set.
 *
 * 1. A plain install succeeds; onnxruntime-node is dropped (an optional dependency whose install
 *    script failed) and `sbert encode` runs on the native engine; `--backend onnx` says what is
 *    missing.
 * 2. With the README's `"allowScripts": {"onnxruntime-node": false}` the same install keeps ONNX
 *    Runtime, contacts NuGet not once, and encodes on the ONNX backend.
 * 3. In that install, every subpath of "exports" loads through `import` and `require`
 *    (`sbert-ts/training`, `sbert-ts/server`, ...), and a path that is not exported is refused.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, readGolden } from "../helpers/fixtures.js";
import { ROOT, type RunResult, ensureBuiltDist, npm, run, userEnv } from "./npm.js";

const MODEL = join(FIXTURES, "st-bert-mean");
const golden = readGolden(MODEL) as { sentences: string[]; embeddings: number[][] };
const SENTENCE = golden.sentences[1] as string;
const WANT = golden.embeddings[1] as number[];
/** float32 agreement with Python sentence-transformers (as in the golden tests). */
const TOL = 1e-5;
/** onnxruntime-node's install script fetches CUDA binaries only here. */
const CUDA_FETCH_PLATFORM = process.platform === "linux" && process.arch === "x64";

let tmp = "";
let app = "";
let tarball = "";
/** Environment of everything run in the project (caches in the temporary folder). */
let env: NodeJS.ProcessEnv;
/** The same for the npm commands, with NuGet unreachable. */
let npmEnv: NodeJS.ProcessEnv;

/** Hosts onnxruntime-node's install script tried to reach (none: it did not run). */
const nugetAttempts = (): string[] => {
  const log = join(tmp, "nuget-attempts.txt");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
};

const maxAbsDiff = (a: readonly number[], b: readonly number[]): number => {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))));
};

const install = (args: string[]): Promise<RunResult> => npm(["install", "--prefer-offline", "--foreground-scripts", ...args], { cwd: app, env: npmEnv });
/** The `sbert` bin npm linked into the project. */
const sbert = (args: string[], stdin: string): Promise<RunResult> => run(join(app, "node_modules/.bin/sbert"), args, { cwd: app, env, stdin });

beforeAll(async () => {
  ensureBuiltDist();
  tmp = mkdtempSync(join(tmpdir(), "sbert-pack-"));
  app = join(tmp, "app");
  env = userEnv({
    npm_config_audit: "false",
    npm_config_fund: "false",
    SBERT_ONNX_CACHE: join(tmp, "onnx-cache"),
    XDG_CACHE_HOME: join(tmp, "xdg-cache"),
    SBERT_PROGRESS: "",
  });
  const preload = fileURLToPath(new URL("./no-nuget.cjs", import.meta.url));
  npmEnv = { ...env, NODE_OPTIONS: `${env["NODE_OPTIONS"] ?? ""} --require ${JSON.stringify(preload)}`.trim(), NO_NUGET_LOG: join(tmp, "nuget-attempts.txt") };
  const packed = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: ROOT, env });
  expect(packed.code, packed.stderr).toBe(0);
  expect(packed.stderr).not.toMatch(/npm warn/i);
  const [report] = JSON.parse(packed.stdout) as { filename: string }[];
  tarball = join(tmp, report?.filename ?? "");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "sbert-ts-pack-test", version: "1.0.0", private: true }, null, 2)}\n`);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("npm install of the packed tarball into an empty project", () => {
  it("succeeds without any setting; without ONNX Runtime the native engine encodes", async () => {
    const r = await install([tarball]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/npm error/i);
    // sbert-ts's own install script ran and said what it did (a C compiler is optional)
    const line = /sbert-ts: native GEMM kernel (built|not built|skipped)[^\n]*/.exec(r.stdout);
    expect(line, r.stdout).not.toBeNull();
    if (line?.[1] === "built") expect(existsSync(join(app, "node_modules/sbert-ts/native/build/Release/sbert_gemm.node"))).toBe(true);

    const ortInstalled = existsSync(join(app, "node_modules/onnxruntime-node/package.json"));
    if (CUDA_FETCH_PLATFORM) {
      expect(nugetAttempts()).toContain("api.nuget.org");
      expect(ortInstalled).toBe(false);
    }

    const enc = await sbert(["encode", "--model", MODEL], `${SENTENCE}\n`);
    expect(enc.code, enc.stderr).toBe(0);
    expect(maxAbsDiff(JSON.parse(enc.stdout) as number[], WANT)).toBeLessThanOrEqual(TOL);
    if (!ortInstalled) {
      const onnx = await sbert(["encode", "--model", MODEL, "--backend", "onnx"], `${SENTENCE}\n`);
      expect(onnx.code).not.toBe(0);
      expect(onnx.stderr).toMatch(/onnxruntime-node/);
    }
  }, 240_000);

  it('with "allowScripts": {"onnxruntime-node": false} keeps ONNX Runtime without CUDA binaries; import, require and the bin encode on it', async () => {
    const pkgPath = join(app, "package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as Record<string, unknown>;
    writeFileSync(pkgPath, `${JSON.stringify({ ...pkg, allowScripts: { "onnxruntime-node": false } }, null, 2)}\n`);
    rmSync(join(tmp, "nuget-attempts.txt"), { force: true });
    const r = await install([]);
    expect(r.code, r.stderr).toBe(0);
    expect(nugetAttempts()).toEqual([]);
    expect(existsSync(join(app, "node_modules/onnxruntime-node/package.json"))).toBe(true);
    expect(existsSync(join(app, `node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`))).toBe(false);

    const body = (load: string): string =>
      `${load}
const model = await SentenceTransformer.load(${JSON.stringify(MODEL)}, { backend: "onnx" });
const e = await model.encode([${JSON.stringify(SENTENCE)}]);
console.log(JSON.stringify({ backend: model.transformer.backend.name, embedding: Array.from(e.row(0)) }));
await model.dispose();`;
    writeFileSync(join(app, "encode.mjs"), body('import { SentenceTransformer } from "sbert-ts";'));
    writeFileSync(join(app, "encode.cjs"), `(async () => {\n${body('const { SentenceTransformer } = require("sbert-ts");')}\n})();\n`);
    for (const script of ["encode.mjs", "encode.cjs"]) {
      const out = await run(process.execPath, [script], { cwd: app, env });
      expect(out.code, `${script}: ${out.stderr}`).toBe(0);
      const { backend, embedding } = JSON.parse(out.stdout) as { backend: string; embedding: number[] };
      expect(backend).toBe("onnx");
      expect(maxAbsDiff(embedding, WANT)).toBeLessThanOrEqual(TOL);
    }

    const enc = await sbert(["encode", "--model", MODEL, "--backend", "onnx"], `${SENTENCE}\n`);
    expect(enc.code, enc.stderr).toBe(0);
    expect(maxAbsDiff(JSON.parse(enc.stdout) as number[], WANT)).toBeLessThanOrEqual(TOL);
  }, 240_000);
  it('every subpath of "exports" loads through import and require; other paths are not exported', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    const names = Object.keys(pkg.exports).filter((k) => k !== "./package.json").map((k) => `sbert-ts${k.slice(1)}`);
    expect(names).toContain("sbert-ts/training");
    const report = (load: string): string => `const out = {};
for (const name of ${JSON.stringify(names)}) out[name] = Object.keys(${load}).length;
try { ${load.replace("name", '"sbert-ts/dist/evaluation/ir-metrics.js"')}; out.internal = "loaded"; } catch (e) { out.internal = e.code; }
console.log(JSON.stringify(out));`;
    writeFileSync(join(app, "subpaths.mjs"), report("await import(name)"));
    writeFileSync(join(app, "subpaths.cjs"), report("require(name)"));
    for (const script of ["subpaths.mjs", "subpaths.cjs"]) {
      const out = await run(process.execPath, [script], { cwd: app, env });
      expect(out.code, `${script}: ${out.stderr}`).toBe(0);
      const counts = JSON.parse(out.stdout) as Record<string, number | string>;
      for (const name of names) expect(counts[name], `${script}: ${name}`).toBeGreaterThan(0);
      expect(counts["internal"], script).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    }
    const trainer = await run(process.execPath, ["--input-type=module", "-e", 'import { SentenceTransformerTrainer } from "sbert-ts/training"; const { startServer } = (await import("node:module")).createRequire(import.meta.url)("sbert-ts/server"); console.log(typeof SentenceTransformerTrainer, typeof startServer);'], { cwd: app, env });
    expect(trainer.stdout.trim(), trainer.stderr).toBe("function function");
  }, 60_000);
});
