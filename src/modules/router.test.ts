import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { Normalize } from "./normalize.js";
import type { PipelineModule } from "./module.js";
import { type ModuleLoader, Router } from "./router.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "router-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads a distinct module per id, remembering which folder it was asked for. */
const seen: string[] = [];
const load: ModuleLoader = async (_type, sub) => {
  seen.push(sub);
  return Object.assign(new Normalize(), { tag: sub.slice(dir.length + 1) }) as PipelineModule;
};
const tags = (mods: readonly PipelineModule[]): string[] => mods.map((m) => (m as unknown as { tag: string }).tag);

async function router(config: unknown): Promise<Router> {
  await writeFile(join(dir, "router_config.json"), JSON.stringify(config));
  return Router.load(dir, {}, load);
}

const types = { q: "sentence_transformers.models.Normalize", d: "sentence_transformers.models.Normalize" };

describe("Router", () => {
  it("loads each sub-module from the folder named by its id and routes by task", async () => {
    seen.length = 0;
    const r = await router({ types, structure: { query: ["q"], document: ["d"] }, parameters: { default_route: "document" } });
    expect(seen).toEqual([join(dir, "q"), join(dir, "d")]);
    expect(r.routeNames).toEqual(["query", "document"]);
    expect(tags(r.route("query"))).toEqual(["q"]);
    expect(tags(r.route("document"))).toEqual(["d"]);
    expect(tags(r.route())).toEqual(["d"]);
  });
  it("a task without a route is INVALID_INPUT naming the routes", async () => {
    const r = await router({ types, structure: { query: ["q"], document: ["d"] }, parameters: { default_route: "document" } });
    expect(() => r.route("passage")).toThrow(/no route found for task "passage"; this Router has the routes "query", "document"/);
  });
  it("route_mappings win over the route names; allow_empty_key picks the first route as default", async () => {
    const r = await router({ types, structure: { query: ["q"], document: ["d"] }, parameters: { route_mappings: { "('passage', None)": "document", "(None, 'text')": "query" } } });
    expect(tags(r.route("passage"))).toEqual(["d"]);
    expect(tags(r.route())).toEqual(["q"]);
    expect(r.defaultRoute).toBe("query");
  });
  it("no default route and no task: INVALID_INPUT", async () => {
    const r = await router({ types, structure: { query: ["q"], document: ["d"] }, parameters: { allow_empty_key: false } });
    expect(() => r.route()).toThrow(SbertError);
  });
  it("inconsistent configs are INVALID_MODEL_FILE", async () => {
    for (const bad of [
      { types, structure: { query: ["q"] }, parameters: { default_route: "document" } },
      { types, structure: { query: ["x"] } },
      { types, structure: {} },
      { types, structure: { query: "q" } },
    ]) {
      const err = await router(bad).catch((e: unknown) => e);
      expect((err as SbertError).code, JSON.stringify(bad)).toBe("INVALID_MODEL_FILE");
    }
  });
});
