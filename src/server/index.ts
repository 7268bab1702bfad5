/**
 * `sbert-ts/server`: start the HTTP server of `sbert serve` for one model, from code. Nothing here
 * is imported from inside src/: this file is the public entry only.
 *
 * @example
 * import { startServer } from "sbert-ts/server";
 * const server = await startServer({ model: "models/all-MiniLM-L6-v2", port: 8080 });
 * await server.ready; // model loaded, workers up
 * process.on("SIGTERM", () => void server.close());
 */
export { startServer, type RunningServer, type ServerState, type StartOptions } from "./server.js";
export { DEFAULT_SERVER_CONFIG, type ServerConfig } from "./config.js";
