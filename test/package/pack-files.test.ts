/**
 * What `npm pack` would publish, checked against an allow-list: the compiled library (one
 * `.js` + `.d.ts` per source file under src/, no tests, test data, test helpers or source maps),
 * the native kernel's sources and build script, README, LICENSE, package.json. A new kind of path
 * fails here until it is added on purpose.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureBuiltDist, npm, userEnv } from "./npm.js";

/** Every packed path must match one of these. */
const ALLOWED: readonly RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^native\/binding\.gyp$/,
  /^native\/src\/[a-z0-9_-]+\.[ch]$/,
  /^scripts\/build-native\.mjs$/,
  /^dist\/(?:[a-z0-9-]+\/)*[a-z0-9-]+\.(?:js|d\.ts)$/,
];

/** Sources that exist only for tests (tsconfig.build.json leaves them out). */
const TEST_ONLY: readonly RegExp[] = [/(^|\/)testdata\//, /\.test\./, /\.setup\./, /^dist\/tensor\/gradcheck\./, /^dist\/onnx\/proto-reader\./];

/** Paths the package does not work without. */
const REQUIRED = [
  "package.json",
  "README.md",
  "LICENSE",
  "dist/index.js",
  "dist/index.d.ts",
  "dist/cli/main.js",
  "dist/server/worker.js",
  "dist/tokenizers/tokenizer-thread-worker.js",
  "native/binding.gyp",
  "scripts/build-native.mjs",
];

let files: string[] = [];
let packStderr = "";

beforeAll(async () => {
  ensureBuiltDist();
  const r = await npm(["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, env: userEnv() });
  expect(r.code, r.stderr).toBe(0);
  packStderr = r.stderr;
  const [report] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  files = (report?.files ?? []).map((f) => f.path).sort();
}, 120_000);

describe("npm pack file list", () => {
  it("npm reads the project's config without a warning", () => {
    expect(packStderr).not.toMatch(/npm warn/i);
  });

  it("has only allow-listed paths", () => {
    expect(files.filter((p) => !ALLOWED.some((re) => re.test(p)))).toEqual([]);
  });

  it("has no tests, test data, test helpers or source maps", () => {
    expect(files.filter((p) => TEST_ONLY.some((re) => re.test(p)) || p.endsWith(".map"))).toEqual([]);
  });

  it("has every file the package needs", () => {
    expect(REQUIRED.filter((p) => !files.includes(p))).toEqual([]);
  });

  it('packs every file package.json "exports" points at (the root and each subpath: types, import, default)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | Record<string, string>> };
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
    expect(targets.length).toBeGreaterThan(3);
    expect(targets.map((t) => t.replace(/^\.\//, "")).filter((t) => !files.includes(t))).toEqual([]);
  });

  it("ships one .js and one .d.ts per source file, and nothing left from an older build (else: npm run build)", () => {
    const dist = files.filter((p) => p.startsWith("dist/"));
    const withoutSource = dist.filter((p) => !existsSync(join(ROOT, p.replace(/^dist\//, "src/").replace(/\.(?:js|d\.ts)$/, ".ts"))));
    expect(withoutSource).toEqual([]);
    const js = new Set(dist.filter((p) => p.endsWith(".js")).map((p) => p.slice(0, -3)));
    const dts = new Set(dist.filter((p) => p.endsWith(".d.ts")).map((p) => p.slice(0, -5)));
    expect([...js].filter((p) => !dts.has(p))).toEqual([]);
    expect([...dts].filter((p) => !js.has(p))).toEqual([]);
  });

  it("LICENSE is the Apache License 2.0 that package.json names", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { license: string };
    expect(pkg.license).toBe("Apache-2.0");
    const text = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(text).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    expect(text).toContain("END OF TERMS AND CONDITIONS");
  });
});
