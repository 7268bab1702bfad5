/**
 * The public API is curated: the root `sbert-ts` lists what an application calls (models, util,
 * saving, errors), and each subpath of package.json "exports" lists its own part (training,
 * evaluation, server, ...). Every entry's runtime values are compared here with an explicit
 * allow-list, so a new export (or an internal helper such as `TopKCollector`, `rankdata`,
 * `epochOrder`, `jsGemmKernel` leaking out through a `export *`) fails until it is added on purpose.
 * The subpaths are also checked against package.json and the type test's `paths`
 * (test/types/tsconfig.json), so the three cannot drift apart.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./package/npm.js";

/** package.json "exports" key → the runtime values its entry file (src/<dir>/index.ts) exports. */
const SURFACE: Record<string, readonly string[]> = {
  ".": [
    "CrossEncoder", "DenseMatrix", "SbertError", "SentenceTransformer", "SparseEmbeddings", "SparseEncoder",
    "sparseSemanticSearch", "sparseSimilarity",
    "communityDetection", "cosSim", "dotScore", "euclideanSim", "manhattanSim", "normalizeEmbeddings",
    "pairwiseCosSim", "pairwiseDotScore", "pairwiseEuclideanSim", "pairwiseManhattanSim",
    "paraphraseMining", "paraphraseMiningEmbeddings", "quantizeEmbeddings", "semanticSearch",
    "saveCrossEncoder", "saveSentenceTransformer", "VectorIndex",
    "MultiVectorEncoder", "maxSim", "maxSimPairwise",
  ],
  "./training": [
    "SentenceTransformerTrainer", "CrossEncoderTrainer", "TrainingLog", "latestCheckpoint", "listCheckpoints",
    "datasetFromColumns", "datasetFromRecords", "parseDataset", "readDataset",
    "BinaryCrossEntropyLoss", "CoSENTLoss", "ContrastiveLoss", "CosineSimilarityLoss", "CrossEntropyLoss", "MSELoss",
    "MatryoshkaLoss", "MultipleNegativesRankingLoss", "SoftmaxLoss", "TripletLoss", "createEmbeddingLoss", "createLogitsLoss",
    "AdamW", "LrScheduler", "constantSchedule", "constantScheduleWithWarmup", "cosineScheduleWithWarmup", "createSchedule",
    "linearScheduleWithWarmup", "clipGradNorm", "namedParameters", "setRequiresGrad", "zeroGrad", "noGrad", "Rng",
  ],
  "./evaluation": [
    "BinaryClassificationEvaluator", "CrossEncoderClassificationEvaluator", "CrossEncoderRerankingEvaluator",
    "EmbeddingSimilarityEvaluator", "InformationRetrievalEvaluator", "TripletEvaluator",
    "parseBeir", "parseMrpc", "parseStsb", "readBeir", "readMrpc", "readStsb",
  ],
  "./server": ["DEFAULT_SERVER_CONFIG", "startServer"],
  "./onnx": ["defaultOnnxFileName", "ensureOnnxModel", "exportClipOnnx", "exportOnnx"],
  "./hub": ["downloadModel", "hubEnv", "progressBar", "resolveModelDir"],
  "./modules": [
    "CLIPModel", "Dense", "MultiVectorMask", "Normalize", "POOLING_MODES", "Pooling", "Router", "SparseStaticEmbedding", "SpladePooling", "StaticEmbedding", "Transformer",
    "resolveModuleType", "supportedModelTypes",
  ],
  "./tensor": [
    "DenseMatrix", "Rng", "Tensor", "backward", "enableGrad", "isGradEnabled", "noGrad", "setGemmKernel",
    "parseSafetensors", "readSafetensors", "serializeSafetensors", "writeSafetensors",
  ],
};

/** Never public, whatever entry: the internals the curated API was made to hide. */
const INTERNAL = ["TopKCollector", "rankdata", "epochOrder", "epochBatches", "jsGemmKernel", "TextTokenizer", "ProgressLine", "Trainer", "labelTensor"];

const entryFile = (subpath: string): string => (subpath === "." ? "src/index.ts" : `src/${subpath.slice(2)}/index.ts`);
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

interface ExportTarget {
  types: string;
  import: string;
  default: string;
}
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | ExportTarget> };

describe("public API", () => {
  for (const [subpath, names] of Object.entries(SURFACE)) {
    it(`${subpath === "." ? "sbert-ts" : `sbert-ts/${subpath.slice(2)}`} exports exactly its allow-list`, async () => {
      const mod = (await import(join(ROOT, entryFile(subpath)))) as Record<string, unknown>;
      expect(sorted(Object.keys(mod))).toEqual(sorted(names));
      expect(Object.values(mod).filter((v) => v === undefined)).toEqual([]);
      expect(INTERNAL.filter((n) => n in mod)).toEqual([]);
    });
  }

  it("the root keeps to what an application calls: no training, evaluation, server or tensor code", () => {
    const root = new Set(SURFACE["."]);
    for (const sub of ["./training", "./evaluation", "./server", "./onnx", "./hub", "./modules"]) {
      expect(SURFACE[sub]?.filter((n) => root.has(n))).toEqual([]);
    }
  });

  it('package.json "exports" has these subpaths (types, import, default → dist/<dir>/index) and ./package.json', () => {
    const want: Record<string, string | ExportTarget> = { "./package.json": "./package.json" };
    for (const subpath of Object.keys(SURFACE)) {
      const base = subpath === "." ? "./dist/index" : `./dist/${subpath.slice(2)}/index`;
      want[subpath] = { types: `${base}.d.ts`, import: `${base}.js`, default: `${base}.js` };
    }
    expect(pkg.exports).toEqual(want);
    // "types" first: TypeScript takes the first condition that matches
    for (const [key, t] of Object.entries(pkg.exports)) if (typeof t !== "string") expect(Object.keys(t), key).toEqual(["types", "import", "default"]);
  });

  it("the type test resolves each subpath to its entry file (test/types/tsconfig.json paths)", () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, "test/types/tsconfig.json"), "utf8")) as { compilerOptions: { paths: Record<string, string[]> } };
    const want: Record<string, string[]> = {};
    for (const subpath of Object.keys(SURFACE)) want[subpath === "." ? "sbert-ts" : `sbert-ts/${subpath.slice(2)}`] = [`../../${entryFile(subpath)}`];
    expect(tsconfig.compilerOptions.paths).toEqual(want);
  });
});
