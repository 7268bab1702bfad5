/**
 * SIGTERM under load, on `sbert serve` in a child process (settings from SBERT_* variables): every
 * request the server had accepted when the signal came is answered with the library's numbers,
 * new connections are refused at once, and the process exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type ClientRequest, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, expect, it } from "vitest";
import { SentenceTransformer } from "../../src/index.js";
import { ROOT, ST_DIR, metricValue, rowsOf, until } from "./helpers.js";

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

/** A POST whose body is written in two halves; `finish()` sends the rest. */
function halfSent(port: number, body: string): { req: ClientRequest; finish: () => void; reply: Promise<{ status: number; body: unknown }> } {
  const req = httpRequest({ host: "127.0.0.1", port, path: "/embed", method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } });
  const reply = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on("error", reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { req, finish: () => req.end(body.slice(half)), reply };
}

async function fetchText(port: number, path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).text();
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

it("SIGTERM with 40 requests in flight: all 40 answered exactly, new connections refused, exit 0", async () => {
  const env = { ...process.env, SBERT_MODEL: ST_DIR, SBERT_PORT: "0", SBERT_HOST: "127.0.0.1", SBERT_MAX_CONCURRENT_REQUESTS: "100", SBERT_AUTO_TRUNCATE: "true" };
  child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child?.on("exit", (code) => resolve(code)));
  await until(() => /sbert serve: ready/.test(stderr) || child?.exitCode !== null, 20_000);
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);
  expect(port).toBeGreaterThan(0);
  expect(JSON.parse(await fetchText(port, "/info"))).toMatchObject({ max_concurrent_requests: 100, auto_truncate: true });

  const words = ["apple", "river", "stone", "music", "green", "cloud", "table", "light", "quiet", "storm"];
  const batches = Array.from({ length: 40 }, (_, r) => Array.from({ length: 32 }, (_, i) => Array.from({ length: 1 + ((r + i) % 12) }, (_, k) => words[(r + i + k) % words.length]).join(" ")));
  const inFlight = batches.map((inputs) => halfSent(port, JSON.stringify({ inputs })));
  await until(async () => metricValue(await fetchText(port, "/metrics"), "sbert_requests_in_flight") === 40, 10_000);

  child.kill("SIGTERM");
  await until(() => refused(port), 5000);
  for (const r of inFlight) r.finish();
  const replies = await Promise.all(inFlight.map((r) => r.reply));
  expect(await exited).toBe(0);
  expect(stderr).toContain("sbert serve: stopped");
  expect(stderr).not.toContain("internal error");

  const model = await SentenceTransformer.load(ST_DIR);
  expect(replies.map((r) => r.status)).toEqual(batches.map(() => 200));
  for (const [i, inputs] of batches.entries()) {
    expect(replies[i]?.body, `request ${i}`).toEqual(rowsOf(await model.encode(inputs, { normalizeEmbeddings: true })));
  }
}, 30_000);
