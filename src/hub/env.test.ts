import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { DEFAULT_ENDPOINT, hubEnv } from "./env.js";

it("defaults as Python huggingface_hub: ~/.cache/huggingface/hub, huggingface.co, online, no token", () => {
  expect(hubEnv({ HF_TOKEN_PATH: "/nonexistent/token" })).toEqual({ cacheDir: join(homedir(), ".cache/huggingface/hub"), endpoint: DEFAULT_ENDPOINT, token: undefined, offline: false });
});

it("HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > HF_HOME/hub > XDG_CACHE_HOME/huggingface/hub, with ~ and $VAR expanded", () => {
  const base = { HF_TOKEN_PATH: "/nonexistent/token" };
  expect(hubEnv({ ...base, XDG_CACHE_HOME: "/xdg" }).cacheDir).toBe("/xdg/huggingface/hub");
  expect(hubEnv({ ...base, XDG_CACHE_HOME: "/xdg", HF_HOME: "~/hf" }).cacheDir).toBe(join(homedir(), "hf/hub"));
  expect(hubEnv({ ...base, HF_HOME: "/hf", HUGGINGFACE_HUB_CACHE: "/legacy" }).cacheDir).toBe("/legacy");
  expect(hubEnv({ ...base, HF_HOME: "/hf", HUGGINGFACE_HUB_CACHE: "/legacy", HF_HUB_CACHE: "$ROOT/c", ROOT: "/r" }).cacheDir).toBe("/r/c");
});

it("HF_ENDPOINT without trailing slash; HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE take 1, ON, YES, TRUE", () => {
  expect(hubEnv({ HF_ENDPOINT: "https://hf-mirror.com/" }).endpoint).toBe("https://hf-mirror.com");
  for (const v of ["1", "on", "YES", "True"]) expect(hubEnv({ HF_HUB_OFFLINE: v }).offline, v).toBe(true);
  for (const v of ["0", "", "no", "false"]) expect(hubEnv({ HF_HUB_OFFLINE: v }).offline, v).toBe(false);
  expect(hubEnv({ TRANSFORMERS_OFFLINE: "1" }).offline).toBe(true);
});

it("the token comes from HF_TOKEN, HUGGING_FACE_HUB_TOKEN, then the token file; HF_HUB_DISABLE_IMPLICIT_TOKEN drops it", async () => {
  const home = await mkdtemp(join(tmpdir(), "sbert-env-"));
  try {
    await writeFile(join(home, "token"), "hf_fromfile\n");
    expect(hubEnv({ HF_HOME: home }).token).toBe("hf_fromfile");
    expect(hubEnv({ HF_HOME: home, HUGGING_FACE_HUB_TOKEN: "hf_legacy" }).token).toBe("hf_legacy");
    expect(hubEnv({ HF_HOME: home, HUGGING_FACE_HUB_TOKEN: "hf_legacy", HF_TOKEN: " hf_env\r\n" }).token).toBe("hf_env");
    expect(hubEnv({ HF_HOME: home, HF_TOKEN: "", HUGGING_FACE_HUB_TOKEN: "hf_legacy" }).token).toBe("hf_legacy");
    expect(hubEnv({ HF_HOME: home, HF_TOKEN_PATH: join(home, "missing") }).token).toBeUndefined();
    expect(hubEnv({ HF_HOME: home, HF_TOKEN: "hf_env", HF_HUB_DISABLE_IMPLICIT_TOKEN: "1" }).token).toBeUndefined();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
