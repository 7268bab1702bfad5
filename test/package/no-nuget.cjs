/**
 * Preload (`node --require`) that makes this process a machine that reaches only the npm registry:
 * NuGet's hosts (where onnxruntime-node's install script fetches CUDA binaries) do not resolve, as
 * with a DNS that knows only registry.npmjs.org. Each attempt is appended to $NO_NUGET_LOG.
 */
"use strict";
const dns = require("node:dns");
const fs = require("node:fs");

const NUGET = /(^|\.)nuget\.org$|(^|\.)visualstudio\.com$/i;
const lookup = dns.lookup;

dns.lookup = function lookupWithoutNuget(hostname, options, callback) {
  if (!NUGET.test(String(hostname))) return lookup.apply(this, arguments);
  if (process.env.NO_NUGET_LOG) fs.appendFileSync(process.env.NO_NUGET_LOG, `${hostname}\n`);
  const done = typeof options === "function" ? options : callback;
  const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", errno: -3008, syscall: "getaddrinfo", hostname });
  process.nextTick(done, error);
  return {};
};
