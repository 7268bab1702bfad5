/**
 * The HTTP server's public surface: start a server for one model, programmatically or via
 * `sbert serve`.
 *
 * @example
 * import { startServer } from "sbert-ts";
 * const server = await startServer({ model: "models/all-MiniLM-L6-v2", port: 8080 });
 * await server.ready; // model loaded, workers up
 * process.on("SIGTERM", () => void server.close());
 */
export { startServer, type RunningServer, type ServerState, type StartOptions } from "./server.js";
export { DEFAULT_SERVER_CONFIG, SERVE_FLAGS, ServerConfigError, resolveServerConfig, type ServerConfig } from "./config.js";
export { ApiError, ERROR_TABLE, type ApiErrorKind } from "./errors.js";
export type { Backend } from "./backend.js";
export type { WorkGroup, WorkInput, WorkOutput, WorkSpec } from "./work.js";
