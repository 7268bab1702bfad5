/**
 * Router: routes a batch by task (`query` / `document`) to one of several module lists — the
 * inference-free sparse models (query: SparseStaticEmbedding; document: MLMTransformer +
 * SpladePooling) and asymmetric dense models. Ported from sentence-transformers
 * `sentence_transformers/base/modules/router.py` (formerly `models/Router.py`):
 * `router_config.json` (or `config.json`) holds `types` (module id → type), `structure`
 * (route → module ids, each module in the sub-folder named by its id) and `parameters`
 * (`default_route`, `allow_empty_key`, `route_mappings`). Route resolution as
 * `_resolve_route_name` / `_resolve_route`: route_mappings for (task, modality), (task, any),
 * (any, modality), (any, any); then a route named like the task; then like the modality; a task
 * with no route is an error; otherwise the default route.
 *
 * @example
 * const router = await Router.load("test/fixtures/sparse-inference-free", {}, loadModule);
 * router.route("query"); // [SparseStaticEmbedding]
 */
import { join } from "node:path";
import { SbertError } from "../errors.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Features, ModuleSaveOptions, PipelineModule } from "./module.js";
import { writeModuleJson } from "./module-files.js";
import type { TransformerOptions } from "./transformer.js";

/** The registry's loader, passed in (the registry lists Router itself). */
export type ModuleLoader = (type: string, dir: string, opts: TransformerOptions) => Promise<PipelineModule>;

/** The one modality sbert-ts routes (Python's features["modality"] for text input). */
const TEXT = "text";

interface RouterParts {
  /** Module id → its `modules.json`-style type string and the loaded module. */
  modules: ReadonlyMap<string, { type: string; module: PipelineModule }>;
  /** Route name → module ids in order. */
  structure: ReadonlyMap<string, readonly string[]>;
  defaultRoute: string | undefined;
  allowEmptyKey: boolean;
  /** `task|modality` (empty for None) → route. */
  routeMappings: ReadonlyMap<string, string>;
  rawMappings: JsonObject;
}

export class Router implements PipelineModule {
  readonly typeName = "Router";
  readonly defaultRoute: string | undefined;
  private readonly parts: RouterParts;

  constructor(parts: RouterParts) {
    if (parts.structure.size === 0) throw new SbertError("INVALID_MODEL_FILE", "a Router needs at least one route");
    for (const [route, ids] of parts.structure) {
      if (ids.length === 0) throw new SbertError("INVALID_MODEL_FILE", `Router route "${route}" has no modules`);
      for (const id of ids) if (!parts.modules.has(id)) throw new SbertError("INVALID_MODEL_FILE", `Router route "${route}" names module "${id}", which "types" does not list`);
    }
    if (parts.defaultRoute !== undefined && !parts.structure.has(parts.defaultRoute)) {
      throw new SbertError("INVALID_MODEL_FILE", `Router default_route "${parts.defaultRoute}" is not one of the routes ${this.routeList(parts)}`);
    }
    for (const target of parts.routeMappings.values()) {
      if (!parts.structure.has(target)) throw new SbertError("INVALID_MODEL_FILE", `Router route_mappings target "${target}" is not one of the routes ${this.routeList(parts)}`);
    }
    this.parts = parts;
    this.defaultRoute = parts.defaultRoute ?? (parts.allowEmptyKey ? parts.structure.keys().next().value : undefined);
  }

  /** Reads the router config and every sub-module (each from the sub-folder named by its id) with `load`. */
  static async load(dir: string, opts: TransformerOptions, load: ModuleLoader): Promise<Router> {
    const cfg = (await readJsonObject(dir, "router_config.json", { optional: true })) ?? (await readJsonObject(dir, "config.json"));
    const types = objectOf(cfg["types"], "types", dir);
    const structure = objectOf(cfg["structure"], "structure", dir);
    const params = cfg["parameters"] === undefined ? {} : objectOf(cfg["parameters"], "parameters", dir);
    const modules = new Map<string, { type: string; module: PipelineModule }>();
    for (const [id, type] of Object.entries(types)) {
      if (typeof type !== "string") throw new SbertError("INVALID_MODEL_FILE", `${dir}: router types["${id}"] must be a module type string`);
      modules.set(id, { type, module: await load(type, join(dir, id), opts) });
    }
    const routes = new Map<string, string[]>();
    for (const [route, ids] of Object.entries(structure)) {
      if (!Array.isArray(ids) || !ids.every((x): x is string => typeof x === "string")) throw new SbertError("INVALID_MODEL_FILE", `${dir}: router structure["${route}"] must be a list of module ids`);
      routes.set(route, ids);
    }
    const rawMappings = params["route_mappings"] && typeof params["route_mappings"] === "object" ? (params["route_mappings"] as JsonObject) : {};
    const dr = params["default_route"];
    return new Router({
      modules,
      structure: routes,
      defaultRoute: typeof dr === "string" ? dr : undefined,
      allowEmptyKey: params["allow_empty_key"] !== false,
      routeMappings: parseRouteMappings(rawMappings, dir),
      rawMappings,
    });
  }

  /** Route names. */
  get routeNames(): string[] {
    return [...this.parts.structure.keys()];
  }

  /**
   * The modules `task` runs through (undefined: the default route). INVALID_INPUT for a task with
   * no route, or no task and no default route, naming the routes.
   */
  route(task?: string): readonly PipelineModule[] {
    const name = this.resolve(task);
    return (this.parts.structure.get(name) as readonly string[]).map((id) => (this.parts.modules.get(id) as { module: PipelineModule }).module);
  }

  private resolve(task: string | undefined): string {
    const m = this.parts.routeMappings;
    const t = task ?? "";
    const mapped = m.get(`${t}|${TEXT}`) ?? m.get(`${t}|`) ?? m.get(`|${TEXT}`) ?? m.get("|");
    if (mapped !== undefined) return mapped;
    if (task && this.parts.structure.has(task)) return task;
    if (this.parts.structure.has(TEXT)) return TEXT;
    if (task !== undefined) throw new SbertError("INVALID_INPUT", `no route found for task "${task}"; this Router has the routes ${this.routeList(this.parts)}`);
    if (this.defaultRoute === undefined) {
      throw new SbertError("INVALID_INPUT", `this Router has no default route; pass a task (one of the routes ${this.routeList(this.parts)})`);
    }
    return this.defaultRoute;
  }

  private routeList(parts: RouterParts): string {
    return [...parts.structure.keys()].map((k) => `"${k}"`).join(", ");
  }

  /** The embedding size of the default route (the last module that states one). */
  outputDimension(): number | undefined {
    let dim: number | undefined;
    if (this.defaultRoute === undefined) return undefined;
    for (const mod of this.route()) dim = mod.outputDimension() ?? dim;
    return dim;
  }

  /** Runs the route of `features.task` (the default route when unset). */
  async forward(features: Features): Promise<Features> {
    let f = features;
    for (const mod of this.route(features.task)) f = await mod.forward(f);
    return f;
  }

  getConfigDict(): Record<string, unknown> {
    return { default_route: this.parts.defaultRoute ?? null, allow_empty_key: this.parts.allowEmptyKey, route_mappings: this.parts.rawMappings };
  }

  /** Every sub-module's parameters, under `<module id>.<key>`. */
  parameters(): ReadonlyMap<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [id, { module }] of this.parts.modules) for (const [k, t] of module.parameters()) out.set(`${id}.${k}`, t);
    return out;
  }

  /** Each sub-module into its own sub-folder, then `router_config.json`. */
  async save(dir: string, opts: ModuleSaveOptions = {}): Promise<void> {
    const { mkdir } = await import("node:fs/promises");
    const types: Record<string, string> = {};
    for (const [id, { type, module }] of this.parts.modules) {
      await mkdir(join(dir, id), { recursive: true });
      await module.save(join(dir, id), opts.sourceDir ? { sourceDir: join(opts.sourceDir, id) } : {});
      types[id] = type;
    }
    await writeModuleJson(join(dir, "router_config.json"), {
      types,
      structure: Object.fromEntries([...this.parts.structure].map(([k, v]) => [k, [...v]])),
      parameters: this.getConfigDict(),
    });
  }

  /** Releases what the sub-modules hold (runtime sessions, threads). */
  async dispose(): Promise<void> {
    await Promise.all(
      [...this.parts.modules.values()].map(({ module }) => (module as { dispose?: () => Promise<void> }).dispose?.()),
    );
  }
}

function objectOf(v: unknown, what: string, dir: string): JsonObject {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new SbertError("INVALID_MODEL_FILE", `${join(dir, "router_config.json")}: "${what}" must be an object`);
  return v as JsonObject;
}

/** `route_mappings` keys as Python writes them: `"('query', 'text')"`, `"(None, 'text')"`; tuple modalities are skipped. */
function parseRouteMappings(raw: JsonObject, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const part = String.raw`\s*(None|'[^']*'|"[^"]*")\s*`;
  const re = new RegExp(String.raw`^\(${part},${part}\)$`);
  for (const [key, route] of Object.entries(raw)) {
    if (typeof route !== "string") throw new SbertError("INVALID_MODEL_FILE", `${dir}: route_mappings["${key}"] must name a route`);
    const m = re.exec(key.trim());
    if (!m) continue;
    const un = (s: string): string => (s === "None" ? "" : s.slice(1, -1));
    out.set(`${un(m[1] as string)}|${un(m[2] as string)}`, route);
  }
  return out;
}
