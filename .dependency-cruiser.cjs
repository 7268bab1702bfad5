/**
 * The layering of ../shared/STYLE.md ("The shape of the system"), checked by `npm run lint:deps`
 * (part of `npm test`). Layers, bottom to top; a file may import its own layer and the ones below,
 * never one above:
 *
 *   0  errors.ts, strict-options.ts, progress.ts, io/     shared by everything
 *   1  tensor/, tokenizers/, image/                        know nothing of models (image/: decoding and
 *                                                          CLIP image preprocessing)
 *   2  architectures/, hub/, util/                         one definition per architecture; hub files;
 *                                                          similarity / search / mining on embeddings
 *   3  backends/                                          engines an architecture runs on
 *   4  modules/                                           Transformer, Pooling, Dense, Normalize, registry
 *   5  onnx/                                              a model folder lowered to an ONNX graph
 *   6  models/                                            SentenceTransformer, CrossEncoder (inference)
 *   7  losses/, evaluation/                               on top of models
 *   8  training/                                          uses losses and evaluation
 *   9  index/, queue/                                     persistent vector index; BullMQ encoding workers
 *  10  server/                                            the HTTP server: inference only
 *  11  cli/                                               may start the server
 *  12  index.ts                                           the public root; nothing in src/ imports it
 *
 * The subpath entries of package.json "exports" (`sbert-ts/training` → src/training/index.ts, ...)
 * are public entries too: nothing in src/ imports them either, so what they list stays a choice
 * about the public API, never a convenience for internal code.
 *
 * Engines a lower layer needs from a higher one are passed in, not imported: `modules/transformer.ts`
 * gets the ONNX exporter as `TransformerOptions.onnxGraph` from `models/pipeline.ts`.
 *
 * Type-only imports count as edges (`tsPreCompilationDeps: true`): a type from a higher layer is
 * knowledge of that layer, and a cycle through types is still a cycle a reader has to untangle.
 * Tests (`*.test.ts`, `testdata/`, `*.setup.ts`) are cruised (cycles among them still fail) but may
 * import any layer.
 */

const TEST = "(\\.test\\.ts$|\\.setup\\.ts$|/testdata/)";

/** [rule name, folders/files of the layer (regex on the path below src/)], bottom to top. */
const LAYERS = [
  ["foundation", "(errors\\.ts|strict-options\\.ts|progress\\.ts|io/)"],
  ["tensor-tokenizers", "(tensor|tokenizers|image)/"],
  ["architectures-hub-util", "(architectures|hub|util)/"],
  ["backends", "backends/"],
  ["modules", "modules/"],
  ["onnx", "onnx/"],
  ["models", "models/"],
  ["losses-evaluation", "(losses|evaluation)/"],
  ["training", "training/"],
  ["index-queue", "(index|queue)/"],
  ["server", "server/"],
  ["cli", "cli/"],
];

const inSrc = (re) => `^src/${re}`;

/** The subpath entry files: "./training" in package.json "exports" → src/training/index.ts. */
const SUBPATH_ENTRIES = Object.keys(require("./package.json").exports)
  .filter((k) => k !== "." && k !== "./package.json")
  .map((k) => `^src/${k.slice(2)}/index\\.ts$`);

/** One rule per layer: its files never import a file of any higher layer. */
const upward = LAYERS.slice(0, -1).map(([name, re], i) => ({
  name: `layer-${name}`,
  comment: `src/${re} sits below ${LAYERS.slice(i + 1).map(([n]) => n).join(", ")} and must not import them (STYLE.md: lower layers never import higher ones)`,
  severity: "error",
  from: { path: inSrc(re), pathNot: TEST },
  to: { path: LAYERS.slice(i + 1).map(([, r]) => inSrc(r)) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles (STYLE.md). Break one by moving the shared piece down a layer, or pass the dependency in.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-root-barrel",
      comment: "Nothing inside src/ imports the root index.ts (the public surface); import the module itself.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^src/index\\.ts$" },
    },
    {
      name: "no-public-entry",
      comment: 'Nothing inside src/ imports a subpath entry of package.json "exports" (src/training/index.ts, ...): they list the public API; import the module itself.',
      severity: "error",
      from: { path: "^src/", pathNot: TEST },
      to: { path: SUBPATH_ENTRIES },
    },
    {
      name: "server-is-inference",
      comment: "The server serves inference: it never loads training, losses or evaluation.",
      severity: "error",
      from: { path: inSrc("server/"), pathNot: TEST },
      to: { path: inSrc("(training|losses|evaluation)/") },
    },
    ...upward,
    {
      name: "library-not-test-code",
      comment: "Library code never imports tests or their fixtures.",
      severity: "error",
      from: { path: "^src/", pathNot: TEST },
      to: { path: `^src/.*${TEST}` },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.(py|json)$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
