/** The CLI's --model takes a hub id too (HF_* variables from the environment). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { FIXTURES } from "../helpers/fixtures.js";
import { type TestHub, startTestHub, stubHubEnv } from "./test-hub.js";
import { type CliResult, runCli } from "../helpers/cli.js";

let hub: TestHub;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sbert-hub-cli-"));
  hub = await startTestHub();
  stubHubEnv(hub, root);
  vi.stubEnv("SBERT_PROGRESS", "0");
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

const cli = (args: string[], stdin: string): Promise<CliResult> => runCli(args, { stdin });

it("encode and predict take --model org/name and print what the folder gives", async () => {
  const texts = '"A man is eating food."\n"A monkey is playing drums."\n';
  for (const name of ["st-bert-cls-dense-normalize", "st-xlmr-spm-mean-dense"]) {
    const byId = await cli(["encode", "--model", `sbert-test/${name}`], texts);
    expect(byId.stderr).toBe("");
    expect(byId.stdout).toBe((await cli(["encode", "--model", join(FIXTURES, name)], texts)).stdout);
  }
  const pairs = '["a query", "a document"]\n';
  const ce = await cli(["predict", "--model", "sbert-test/ce-bert-1label"], pairs);
  expect(ce.code).toBe(0);
  expect(ce.stdout).toBe((await cli(["predict", "--model", join(FIXTURES, "ce-bert-1label")], pairs)).stdout);
});

it("an unknown id or an offline cache miss is a runtime error naming the model", async () => {
  const missing = await cli(["encode", "--model", "sbert-test/nope"], '"x"\n');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('cannot load the model "sbert-test/nope"');
  vi.stubEnv("HF_HUB_OFFLINE", "1");
  const offline = await cli(["encode", "--model", "sbert-test/st-bert-mean"], '"x"\n');
  expect(offline.code).toBe(1);
  expect(offline.stderr).toMatch(/offline: file "modules\.json" is not in the cache/);
});
