/**
 * README.md runs as written: every command of its shell blocks runs from the repository root, in
 * document order, and exits 0; every JavaScript block runs too, and the quick start is
 * examples/quickstart.mjs.
 *
 * - `npx sbert` runs this package's bin, dist/cli/main.js, compiled first when missing or older
 *   than src/. One test checks that npm itself resolves `npx sbert` there (private cache, offline,
 *   no lifecycle scripts: npx would otherwise run `prepare`, which empties dist/ while other test
 *   files use it); the README's commands then reach the same file through an `npx` shim on PATH
 *   (`npx sbert ARGS` → `node dist/cli/main.js ARGS`, anything else → npm's npx), which saves npm's
 *   ~1 s start per command.
 * - Skipped, and only these: a command marked `# needs: download` (it is a download: `npm
 *   install` or a hub id), and `npm test` marked `# needs: the whole suite` (it runs this file).
 * - `sbert serve` is started with `--port 0` instead of the printed port, waited for (`/health`
 *   200, `/info`), and stopped with SIGTERM after the commands that follow it and call it
 *   (`localhost:<printed port>`, pointed at the port it got); it must stop cleanly.
 * - Commands write only under examples/out/ (git-ignored), removed before and after; hub, ONNX and
 *   npm caches go to a temporary folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CodeBlock, type ShellCommand, codeBlocks, shellCommands } from "./helpers/markdown.js";
import { ROOT, type RunResult, ensureBuiltDist, run, userEnv } from "./package/npm.js";

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const BLOCKS = codeBlocks(README);
const OUT = join(ROOT, "examples/out");
const SERVE_PORT = /--port\s+(\d+)/;
/** npm commands that change the project's node_modules or run the test suite. */
const NPM_PROJECT_COMMAND = /^npm\s+(?:install|i|ci|add|update|uninstall|rebuild|test|t)\b/;

let tmp = "";
/** The environment of the README's commands: `npx` is the shim. */
let env: NodeJS.ProcessEnv;
/** The same with npm's own `npx`. */
let npmEnv: NodeJS.ProcessEnv;

/** `npx sbert ARGS` → this package's dist/cli/main.js; any other `npx` → npm's. */
function writeNpxShim(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const cli = join(ROOT, "dist/cli/main.js");
  const shim = `#!/bin/sh
if [ "$1" = sbert ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"; fi
PATH="$SBERT_README_NPM_PATH" exec npx "$@"
`;
  writeFileSync(join(dir, "npx"), shim, { mode: 0o755 });
}

beforeAll(() => {
  ensureBuiltDist();
  tmp = mkdtempSync(join(tmpdir(), "sbert-readme-"));
  npmEnv = userEnv({
    npm_config_cache: join(tmp, "npm-cache"),
    npm_config_offline: "true",
    npm_config_ignore_scripts: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    HF_HOME: join(tmp, "hf"),
    HF_HUB_OFFLINE: "1",
    XDG_CACHE_HOME: join(tmp, "xdg-cache"),
    SBERT_ONNX_CACHE: join(tmp, "onnx-cache"),
    SBERT_PROGRESS: "0",
  });
  writeNpxShim(join(tmp, "bin"));
  env = { ...npmEnv, PATH: `${join(tmp, "bin")}${delimiter}${npmEnv["PATH"] ?? ""}`, SBERT_README_NPM_PATH: npmEnv["PATH"] ?? "" };
  rmSync(OUT, { recursive: true, force: true });
}, 120_000);

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sh = (command: string): Promise<RunResult> => run("sh", ["-c", command], { cwd: ROOT, env });

/** A started `sbert serve`: its process group, the port it printed in the README and the one it got. */
interface Serving {
  child: ChildProcess;
  printedPort: string;
  url: string;
  stderr: () => string;
  exited: Promise<void>;
}

async function startServe(cmd: ShellCommand): Promise<Serving> {
  const printedPort = SERVE_PORT.exec(cmd.text)?.[1];
  expect(printedPort, `README line ${cmd.line}: sbert serve without --port`).toBeDefined();
  const child = spawn("sh", ["-c", cmd.text.replace(SERVE_PORT, "--port 0")], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let url: string | undefined;
  for (let i = 0; i < 600 && url === undefined; i++) {
    url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (url === undefined) await new Promise((r) => setTimeout(r, 50));
    if (child.exitCode !== null) break;
  }
  expect(url, `README line ${cmd.line}: no "listening on" line:\n${stderr}`).toBeDefined();
  let health = 0;
  for (let i = 0; i < 600 && health !== 200; i++) {
    health = await fetch(`${url}/health`).then((r) => r.status, () => 0);
    if (health !== 200) await new Promise((r) => setTimeout(r, 50));
  }
  expect(health, stderr).toBe(200);
  const info = (await (await fetch(`${url}/info`)).json()) as { model_id?: string };
  expect(cmd.text).toContain(info.model_id);
  return { child, printedPort: printedPort as string, url: url as string, stderr: () => stderr, exited };
}

async function stopServe(s: Serving): Promise<void> {
  process.kill(-(s.child.pid as number), "SIGTERM");
  await s.exited;
  expect(s.stderr()).toMatch(/sbert serve: stopped/);
}

const shellBlocks = BLOCKS.filter((b) => b.lang === "sh");
const commands = shellBlocks.flatMap(shellCommands);

describe("README.md shell commands", () => {
  it("npm resolves `npx sbert` in the repository root to this package's dist/cli/main.js", async () => {
    const r = await run("npx", ["sbert", "--version"], { cwd: ROOT, env: npmEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    // npx linked this folder (file:) into its cache, not a registry package named sbert
    const npx = join(npmEnv["npm_config_cache"] as string, "_npx");
    const links = readdirSync(npx).map((d) => readFileSync(join(npx, d, "package.json"), "utf8"));
    expect(links.some((l) => /"sbert-ts":\s*"file:/.test(l))).toBe(true);
    expect(realpathSync(join(npx, readdirSync(npx)[0] as string, "node_modules/.bin/sbert"))).toBe(realpathSync(join(ROOT, "dist/cli/main.js")));
  }, 60_000);

  it("has commands, and marks only downloads and `npm test` as not run here", () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands.filter((c) => c.needs !== undefined)) {
      if (c.needs === "the whole suite") expect(c.text).toMatch(/^npm test\b/);
      else {
        expect(c.needs, `README line ${c.line}`).toBe("download");
        // a download: npm installing packages, or a model that is not a folder here
        const model = /--model\s+(\S+)/.exec(c.text)?.[1];
        expect(/^npm install\b/.test(c.text) || (model !== undefined && !existsSync(join(ROOT, model))), `README line ${c.line}: ${c.text}`).toBe(true);
      }
    }
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.test).toBeDefined();
  });

  it("every command exits 0 from the repository root, in order (sbert serve answers, then stops)", async () => {
    let serving: Serving | undefined;
    try {
      for (const c of commands) {
        if (c.needs !== undefined) continue;
        // never run here: it would rewrite node_modules (or run this file again)
        expect(NPM_PROJECT_COMMAND.test(c.text), `README line ${c.line}: mark "${c.text}" with # needs: download (or the whole suite)`).toBe(false);
        if (serving && !c.text.includes(`localhost:${serving.printedPort}`)) {
          await stopServe(serving);
          serving = undefined;
        }
        if (/\bsbert serve\b/.test(c.text)) {
          serving = await startServe(c);
          continue;
        }
        const text = serving ? c.text.replaceAll(`localhost:${serving.printedPort}`, serving.url.replace(/^http:\/\//, "")) : c.text;
        const r = await sh(text);
        expect(r.code, `README line ${c.line}: ${c.text}\n${r.stderr}`).toBe(0);
        if (/^npx sbert |^curl /.test(c.text)) expect(r.stdout, `README line ${c.line}: ${c.text} printed nothing`).not.toBe("");
      }
      if (serving) await stopServe(serving);
      serving = undefined;
    } finally {
      if (serving?.child.pid !== undefined && serving.child.exitCode === null) process.kill(-serving.child.pid, "SIGKILL");
    }
  }, 180_000);
});

describe("README.md code blocks", () => {
  it("uses only sh, js and json blocks", () => {
    expect(BLOCKS.map((b) => b.lang).filter((l) => !["sh", "js", "json"].includes(l))).toEqual([]);
  });

  it("the quick start is examples/quickstart.mjs (less its leading comment)", () => {
    const file = readFileSync(join(ROOT, "examples/quickstart.mjs"), "utf8").replace(/^(\/\/.*\n)+/, "");
    const quick = BLOCKS.find((b) => b.lang === "js");
    expect(quick?.body).toBe(file);
  });

  it("every JavaScript block runs (ESM, CommonJS for a block that calls require)", async () => {
    mkdirSync(OUT, { recursive: true });
    const js = BLOCKS.filter((b) => b.lang === "js");
    expect(js.length).toBeGreaterThan(1);
    for (const b of js) {
      // inside the package, so that "sbert-ts" resolves to this package (its dist/), as in a project that installed it
      const file = join(OUT, `readme-line-${b.line}.${/\brequire\(/.test(b.body) ? "cjs" : "mjs"}`);
      writeFileSync(file, b.body);
      const r = await run(process.execPath, [file], { cwd: ROOT, env });
      expect(r.code, `README line ${b.line}:\n${r.stderr}`).toBe(0);
      expect(r.stdout).not.toBe("");
    }
  }, 60_000);

  it("every JSON block parses", () => {
    for (const b of BLOCKS.filter((b) => b.lang === "json")) expect(() => JSON.parse(b.body), `README line ${b.line}`).not.toThrow();
  });
});

describe("README.md error codes", () => {
  it("lists exactly the codes of src/errors.ts, in its order", () => {
    const source = readFileSync(join(ROOT, "src/errors.ts"), "utf8");
    const type = /export type ErrorCode =([\s\S]*?)\n\n/.exec(source)?.[1] ?? "";
    const want = [...type.matchAll(/\|\s*"([A-Z_]+)"/g)].map((m) => m[1]);
    const list = /\*\*Error codes\.\*\*[^:]*:\s*((?:`[A-Z_]+`,?\s*)+)\./.exec(README)?.[1] ?? "";
    const got = [...list.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
    expect(want.length).toBeGreaterThan(10);
    expect(got).toEqual(want);
  });
});

describe("the README parser (test/helpers/markdown.ts)", () => {
  it("finds indented blocks, joins `\\` lines, skips comments and reads `# needs:` markers", () => {
    const md = "text\n```sh\n# a comment\nnpx sbert encode \\\n  --model m   # one JSON array per line\n\nnpm install   # needs: download — why\nnpm test # needs: the whole suite\n```\n- item\n\n  ```json\n  {\"a\": 1}\n  ```\n";
    const blocks = codeBlocks(md);
    expect(blocks.map((b) => [b.lang, b.line])).toEqual([
      ["sh", 2],
      ["json", 12],
    ]);
    expect(blocks[1]?.body).toBe('{"a": 1}\n');
    expect(shellCommands(blocks[0] as CodeBlock)).toEqual([
      { text: "npx sbert encode  --model m   # one JSON array per line", line: 4 },
      { text: "npm install   # needs: download — why", needs: "download", line: 7 },
      { text: "npm test # needs: the whole suite", needs: "the whole suite", line: 8 },
    ]);
    expect(() => codeBlocks("```sh\nls\n")).toThrow(/not closed/);
  });
});
