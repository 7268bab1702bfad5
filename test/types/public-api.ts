/**
 * Type test of the public API, checked by `tsc -p test/types/tsconfig.json` in `npm test` (nothing
 * here runs). It fails to compile when ordinary code stops type-checking (an `EncodeOptions`
 * variable giving `DenseMatrix[] | DenseMatrix` again), and every `@ts-expect-error` fails when the
 * line it marks starts to compile (an unknown option key accepted, a wrong result type allowed).
 * It imports `sbert-ts` and its subpaths as a user does; test/types/tsconfig.json maps them to
 * their entry files under src/ (test/public-api.test.ts keeps that map equal to package.json).
 */
import {
  type AnyEncodeOptions,
  type CrossEncoder,
  type DenseMatrix,
  type EncodeOptions,
  type PredictOptions,
  type Precision,
  type QuantizedEncodeOptions,
  type RankOptions,
  type SentenceTransformer,
  MultiVectorEncoder,
  type MultiVectorEncodeOptions,
  cosSim,
  maxSim,
  paraphraseMiningEmbeddings,
  quantizeEmbeddings,
  semanticSearch,
  saveCrossEncoder,
} from "sbert-ts";
import { EmbeddingSimilarityEvaluator, type Evaluator, readStsb } from "sbert-ts/evaluation";
import { downloadModel } from "sbert-ts/hub";
import { Pooling, type PipelineModule } from "sbert-ts/modules";
import { exportOnnx } from "sbert-ts/onnx";
import { type RunningServer, startServer } from "sbert-ts/server";
import { Tensor, noGrad, setGemmKernel } from "sbert-ts/tensor";
import { CoSENTLoss, SentenceTransformerTrainer, type TrainingArguments, datasetFromRecords } from "sbert-ts/training";
// @ts-expect-error training is not on the root: it comes from sbert-ts/training
import { SentenceTransformerTrainer as NotOnRoot } from "sbert-ts";
// @ts-expect-error internal: the IR evaluator's top-k helper is not public
import { TopKCollector } from "sbert-ts/evaluation";
// @ts-expect-error internal: the TypeScript GEMM loops are not public (setGemmKernel returns the previous kernel)
import { jsGemmKernel } from "sbert-ts/tensor";
// @ts-expect-error not a subpath: util lives on the root
import { cosSim as utilCosSim } from "sbert-ts/util";

declare const model: SentenceTransformer;
declare const ce: CrossEncoder;
declare const texts: string[];

export async function encodeOptionsVariable(): Promise<void> {
  // the case of issue 10: options in a variable of the public type
  const o: EncodeOptions = { batchSize: 16, normalizeEmbeddings: true, showProgressBar: true };
  const row: Float32Array = (await model.encode(texts, o)).row(0);
  const queries = await model.encode(texts, o);
  const corpus = await model.encodeDocument(texts, o);
  const q2 = await model.encodeQuery(texts, o);
  semanticSearch(queries, corpus, { topK: 3 });
  cosSim(queries, q2);
  cosSim(row, queries.row(1));
  paraphraseMiningEmbeddings(await model.encode(texts), { topK: 2 });
  const m: DenseMatrix = await model.encode("one text");
  m.toArray();
  // options built up step by step
  const built: EncodeOptions = {};
  built.truncateDim = 8;
  built.precision = "float32";
  semanticSearch(await model.encode(texts, built), corpus);
}

export async function literalOptions(): Promise<void> {
  const tokens: DenseMatrix[] = await model.encode(texts, { outputValue: "token_embeddings" });
  tokens[0]?.row(0);
  const i8: DenseMatrix<Int8Array> = await model.encode(texts, { precision: "int8" });
  const u8: DenseMatrix<Uint8Array> = await model.encode(texts, { precision: "ubinary" });
  const f32: DenseMatrix = await model.encode(texts, { precision: "float32", outputValue: "sentence_embedding" });
  void [i8, u8, f32];
}

export async function runTimeChoices(precision: Precision, any: AnyEncodeOptions): Promise<void> {
  const q: QuantizedEncodeOptions = { precision, batchSize: 8 };
  const mixed: DenseMatrix<Float32Array | Int8Array | Uint8Array> = await model.encode(texts, q);
  mixed.row(0);
  const unknownKind = await model.encode(texts, any);
  if (!Array.isArray(unknownKind)) unknownKind.rows;
  // @ts-expect-error a quantized result is not float32: it cannot go to cosSim
  cosSim(await model.encode(texts, q), mixed);
  // @ts-expect-error options of unknown kind may give token embeddings
  semanticSearch(await model.encode(texts, any), mixed);
  // @ts-expect-error int8 embeddings are not float32
  cosSim(await model.encode(texts, { precision: "int8" }), f32Of());
  // @ts-expect-error token embeddings are one matrix per text
  const notOne: DenseMatrix = await model.encode(texts, { outputValue: "token_embeddings" });
  void notOne;
}

function f32Of(): DenseMatrix {
  return undefined as unknown as DenseMatrix;
}

export function encodeOptionsRefuseOtherKinds(): void {
  // @ts-expect-error EncodeOptions is for float32 sentence embeddings; int8 needs QuantizedEncodeOptions
  const a: EncodeOptions = { precision: "int8" };
  // @ts-expect-error EncodeOptions is for sentence embeddings; token embeddings need TokenEmbeddingsOptions
  const b: EncodeOptions = { outputValue: "token_embeddings" };
  void [a, b];
}

export async function unknownKeysAreTypeErrors(): Promise<void> {
  // @ts-expect-error `normalize` is not an option (normalizeEmbeddings is)
  await model.encode(texts, { normalize: true });
  // @ts-expect-error snake_case keys are not options
  await model.encode(texts, { batch_size: 8 });
  // @ts-expect-error an unknown key in an EncodeOptions variable
  const o: EncodeOptions = { show_progress_bar: true };
  void o;
  // @ts-expect-error unknown predict option
  const p: PredictOptions = { top_k: 1 };
  // @ts-expect-error unknown rank option
  const r: RankOptions = { applySoftmax: true };
  void [p, r];
  // @ts-expect-error unknown semanticSearch option
  semanticSearch(f32Of(), f32Of(), { top_k: 1 });
  // @ts-expect-error unknown quantize option
  quantizeEmbeddings(f32Of(), "int8", { range: f32Of() });
  // @ts-expect-error unknown load option
  await ce.predict([["a", "b"]], { batch_size: 1 });
}

export async function subpaths(): Promise<void> {
  // what used to come from the root now comes from its subpath
  const train = datasetFromRecords([{ sentence1: "a", sentence2: "b", score: 1 }]);
  const args: TrainingArguments = { epochs: 1, batchSize: 16 };
  await new SentenceTransformerTrainer({ model, sourceDir: "dir", loss: new CoSENTLoss(), trainDataset: train, args }).train();
  const sts = await readStsb("sts-dev.csv");
  const ev: Evaluator<SentenceTransformer> = new EmbeddingSimilarityEvaluator(sts.sentences1, sts.sentences2, sts.scores);
  await ev.evaluate(model);
  const server: RunningServer = await startServer({ model: "dir", port: 0 });
  await server.close();
  await exportOnnx("dir", { quantize: "int8" });
  await downloadModel("org/name");
  await saveCrossEncoder(ce, "out");
  const modules: readonly PipelineModule[] = model.modules;
  void (modules[1] instanceof Pooling);
  noGrad(() => Tensor.name);
  void [setGemmKernel, NotOnRoot, TopKCollector, jsGemmKernel, utilCosSim];
}

export async function multiVector(): Promise<void> {
  const mv = await MultiVectorEncoder.load("dir", { backend: "native" });
  const q: DenseMatrix[] = await mv.encodeQuery(["a"], { batchSize: 8 });
  const d: DenseMatrix[] = await mv.encodeDocument(["b"]);
  const scores: DenseMatrix = mv.similarity(q, d);
  const same: DenseMatrix = maxSim(q, d, { lengthNormalize: true });
  const o: MultiVectorEncodeOptions = { task: "query" };
  const top: number | undefined = (await mv.rank("a", ["b"], { topK: 1 }))[0]?.score;
  void [scores, same, o, top];
  // @ts-expect-error the task of encodeQuery is fixed
  await mv.encodeQuery(["a"], { task: "document" });
  // @ts-expect-error only query and document are tasks
  await mv.encode(["a"], { task: "passage" });
  // @ts-expect-error multi-vector embeddings have no precision
  await mv.encode(["a"], { precision: "int8" });
}
