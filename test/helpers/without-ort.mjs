// `node --import ./test/helpers/without-ort.mjs`: resolves onnxruntime-node as if it were not
// installed (ERR_MODULE_NOT_FOUND), to test the message users get without the optional dependency.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === "onnxruntime-node") {
    const e = new Error("Cannot find package 'onnxruntime-node' imported from " + context.parentURL);
    e.code = "ERR_MODULE_NOT_FOUND";
    throw e;
  }
  return next(specifier, context);
}`),
);
