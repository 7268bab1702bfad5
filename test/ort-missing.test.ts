import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FIXTURES } from "./helpers/fixtures.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** `sbert encode` from source in a child process where onnxruntime-node cannot be found. */
async function encodeWithoutOrt(backend: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = ["--import", "tsx", "--import", join(ROOT, "test/helpers/without-ort.mjs"), join(ROOT, "src/cli/main.ts"), "encode", "-m", join(FIXTURES, "st-bert-mean"), "--backend", backend];
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, SBERT_PROGRESS: "0" } });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end('"hello"\n');
  const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
  return { code, stdout, stderr };
}

describe("without onnxruntime-node (an optional dependency)", () => {
  it("backend onnx says it is not installed and how to get it; auto falls back to native", async () => {
    const [onnx, auto] = await Promise.all([encodeWithoutOrt("onnx"), encodeWithoutOrt("auto")]);
    expect(onnx.code).toBe(1);
    expect(onnx.stderr).toMatch(/onnxruntime-node is not installed/);
    expect(onnx.stderr).toContain("npm install onnxruntime-node");
    expect(onnx.stderr).toContain('backend "native"');
    expect(auto.stderr).not.toMatch(/onnxruntime/i);
    expect(auto.code).toBe(0);
    expect(auto.stdout.trim().split("\n")).toHaveLength(1);
  });
});
