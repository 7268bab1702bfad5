import { type Command, Option } from "commander";
import { DEFAULT_SERVER_CONFIG, SERVE_FLAGS, type ServerConfigKey, ServerConfigError, envHelp, resolveServerConfig } from "../../server/config.js";
import { startServer } from "../../server/server.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

const ROUTES_HELP = `
Routes (text-embeddings-inference shapes; errors as {"error", "error_type"}):
  bi-encoder     POST /embed /embed_all /similarity /tokenize /decode, POST /v1/embeddings (OpenAI)
  cross-encoder  POST /rerank /predict /tokenize /decode
  always         GET /health /info /metrics (Prometheus)
Routes for the other model type answer 424. Statuses: 400 empty input or bad JSON, 401 API key,
408 body too slow, 413 too many inputs or body too large, 422 invalid field or input too long
without truncation, 429 overloaded, 503 loading or shutting down.

Every flag can be set by an environment variable (the flag wins):
${envHelp()}

SIGTERM / SIGINT: stop accepting connections, answer every accepted request, then exit 0.`;

/** `sbert serve`: an HTTP server for one model until SIGTERM / SIGINT. */
export function registerServe(program: Command, io: CliIo): void {
  const cmd = program
    .command("serve")
    .summary("serve a model over HTTP (text-embeddings-inference and OpenAI embeddings API)")
    .description(
      "Serve one model over HTTP with text-embeddings-inference's routes and the OpenAI embeddings API. " +
        "Requests are validated and tokenized as they arrive, queued, and packed into batches under a token budget; " +
        "every number is what the library computes for the same input alone.",
    );
  const attribute = new Map<string, ServerConfigKey>();
  for (const spec of SERVE_FLAGS) {
    const fallback = spec.key === "model" ? undefined : DEFAULT_SERVER_CONFIG[spec.key];
    const shown = fallback === undefined || typeof fallback === "boolean" ? "" : `default ${fallback}; `;
    const option = new Option(spec.flag, `${spec.description} (${shown}env: ${spec.env})`);
    attribute.set(option.attributeName(), spec.key);
    cmd.addOption(option);
  }
  cmd.addHelpText("after", ROUTES_HELP).action(async (opts: Record<string, string | boolean | undefined>) => {
    const flags: Partial<Record<ServerConfigKey, string | boolean>> = {};
    for (const [name, key] of attribute) {
      const v = opts[name];
      if (v !== undefined) flags[key] = v;
    }
    await serve(flags, io);
  });
}

async function serve(flags: Partial<Record<ServerConfigKey, string | boolean>>, io: CliIo): Promise<void> {
  let config;
  try {
    config = resolveServerConfig(flags, io.env);
  } catch (e) {
    throw e instanceof ServerConfigError ? new UsageError(e.message) : e;
  }
  const server = await startServer({ ...config, log: (line) => void io.stderr.write(`sbert serve: ${line}\n`) });
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = () => void server.close().then(resolve);
  });
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    await server.ready;
    await stopped;
  } catch (e) {
    await server.close();
    // A setting that does not fit the model (--max-batch-tokens below its longest input) is a usage error.
    throw e instanceof ServerConfigError ? new UsageError(e.message) : e;
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}
