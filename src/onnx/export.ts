import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { checkOptions, optionKeys } from "../strict-options.js";
import { SbertError } from "../errors.js";
import { packageVersion } from "../package-version.js";
import type { PipelineModule } from "../modules/module.js";
import { Transformer, type TransformerTask } from "../modules/transformer.js";
import { firstTokenHead } from "../architectures/encoder-layer.js";
import { mlmHead } from "../architectures/mlm-head.js";
import { spladeGraph } from "./export-splade.js";
import { type EncoderInputs, GraphOps } from "./graph-ops.js";
import { poolingGraph } from "./export-pooling.js";
import { DataType, IR_VERSION, type ModelSpec, OPSET } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import { type QuantizedMatMulFormat, quantizeDynamic } from "./quantize-dynamic.js";
import { exportSource, loadForExport } from "./read-model.js";
import { writeOnnxModel } from "./write-model.js";

export interface ExportOnnxOptions {
  /** Folder to write into; it must exist. Default: `<modelDir>/onnx` (created). */
  output?: string;
  /** File name inside the output folder; default from the options, see `defaultOnnxFileName`. */
  fileName?: string;
  /** Bake Pooling, Dense and Normalize into the graph (outputs `token_embeddings`, `sentence_embedding`). */
  withPooling?: boolean;
  /** Dynamic int8 quantization of every MatMul by a weight. */
  quantize?: "int8";
  /** How quantized MatMuls are written (default `standard`: plain ONNX, as fast as the contrib op in ONNX Runtime). */
  quantizedFormat?: QuantizedMatMulFormat;
  /** Overrides the task read from the folder (`sequence-classification` exports `logits`). */
  task?: TransformerTask;
}

const EXPORT_KEYS = optionKeys<ExportOnnxOptions>({ output: true, fileName: true, withPooling: true, quantize: true, quantizedFormat: true, task: true });

export interface ExportOnnxResult {
  path: string;
  /** The weights file next to `path` when the model is too large for one protobuf (> ~2 GiB). */
  externalData: string | undefined;
  inputs: string[];
  outputs: string[];
  opset: number;
  bytes: number;
}

/**
 * The file name an export gets by default: `model.onnx`; int8 as the Hub names the same scheme
 * (per-channel QInt8 weights, QUInt8 activations) `model_qint8_avx512_vnni.onnx`; with pooling
 * `model_pooled.onnx` / `model_pooled_qint8_avx512_vnni.onnx`.
 */
export function defaultOnnxFileName(opts: Pick<ExportOnnxOptions, "withPooling" | "quantize"> = {}): string {
  return `model${opts.withPooling ? "_pooled" : ""}${opts.quantize === "int8" ? "_qint8_avx512_vnni" : ""}.onnx`;
}

/**
 * What the exporter reads: a model folder (loaded on the native backend, as the loaders read it),
 * or a loaded model — a `SentenceTransformer` (its `modules`), a `CrossEncoder` (its
 * `transformer`) or the module list of `loadPipeline` — whose Transformer runs on the native backend.
 */
export type ExportableModel = string | readonly PipelineModule[] | { readonly modules: readonly PipelineModule[] } | { readonly transformer: PipelineModule };

/**
 * Builds the ONNX model of a model (folder or loaded) in memory, without Python: the
 * Transformer's encoder, and with `withPooling` what each later module reports (`exportSpec`).
 *
 * Inputs (int64, [batch_size, sequence_length]): `input_ids`, `attention_mask`, and
 * `token_type_ids` for BERT only (as Optimum exports). Outputs: `last_hidden_state`
 * [batch_size, sequence_length, H]; for sequence classification `logits` [batch_size, labels];
 * for fill-mask (SPLADE) `logits` [batch_size, sequence_length, vocab], or with pooling the
 * SpladePooling output `sentence_embedding` [batch_size, vocab];
 * with pooling `token_embeddings` and `sentence_embedding` [batch_size, D] (a multi-vector model:
 * `token_embeddings` after its token-level Dense and Normalize only; the scoring mask and MaxSim
 * run outside the graph). Opset 17.
 */
export async function buildOnnxModel(model: ExportableModel, opts: ExportOnnxOptions = {}): Promise<ModelSpec> {
  if (typeof model !== "string") return onnxModelOf("modules" in model ? model.modules : "transformer" in model ? [model.transformer] : model, opts);
  const modules = await loadForExport(model, opts.task);
  try {
    return onnxModelOf(modules, opts, model);
  } finally {
    await Promise.all(modules.map((m) => (m instanceof Transformer ? m.dispose() : undefined)));
  }
}

function onnxModelOf(modules: readonly PipelineModule[], opts: ExportOnnxOptions, modelDir = "this model"): ModelSpec {
  const src = exportSource(modules, opts);
  const c = src.config;
  if (opts.withPooling && src.task === "sequence-classification") {
    throw new SbertError("INVALID_INPUT", `${modelDir} is a cross-encoder (sequence classification): --with-pooling applies to bi-encoders only`);
  }
  const b = new GraphBuilder(`sbert_ts_${c.modelType.replace(/[^a-z0-9]/gi, "_")}`);
  const dims = ["batch_size", "sequence_length"];
  const inputs: EncoderInputs = {
    inputIds: b.input("input_ids", DataType.INT64, dims),
    attentionMask: b.input("attention_mask", DataType.INT64, dims),
    tokenTypeIds: src.arch.usesTokenTypeIds(src.weights) ? b.input("token_type_ids", DataType.INT64, dims) : undefined,
  };
  // the architecture's one definition, lowered to ONNX nodes
  const ops = new GraphOps(b, inputs);
  const hidden = src.arch.forward(ops, src.weights, c);
  if (src.task === "fill-mask" && src.mlm) {
    const logits = mlmHead(ops, hidden, src.mlm);
    if (src.splade) b.output(spladeGraph(b, logits, inputs.attentionMask, src.splade), "sentence_embedding", DataType.FLOAT, ["batch_size", c.vocabSize]);
    else b.output(logits, "logits", DataType.FLOAT, ["batch_size", "sequence_length", c.vocabSize]);
  } else if (src.task === "sequence-classification" && src.weights.head) {
    b.output(firstTokenHead(ops, hidden, src.weights.head), "logits", DataType.FLOAT, ["batch_size", c.numLabels]);
  } else if (opts.withPooling) {
    const pooled = poolingGraph(b, hidden, c.hiddenSize, inputs.attentionMask, inputs.inputIds, src.postModules);
    const tokenDim = pooled.tokenEmbeddings === hidden ? c.hiddenSize : "token_dim";
    b.output(pooled.tokenEmbeddings, "token_embeddings", DataType.FLOAT, ["batch_size", "sequence_length", tokenDim]);
    if (pooled.sentenceEmbedding !== undefined) b.output(pooled.sentenceEmbedding, "sentence_embedding", DataType.FLOAT, ["batch_size", pooled.sentenceDim]);
  } else {
    b.output(hidden, "last_hidden_state", DataType.FLOAT, ["batch_size", "sequence_length", c.hiddenSize]);
  }
  let model: ModelSpec = {
    irVersion: IR_VERSION,
    opsets: { "": OPSET },
    producerName: "sbert-ts",
    producerVersion: packageVersion(),
    graph: b.build(),
    metadata: { model_type: c.modelType, task: src.task, with_pooling: String(opts.withPooling === true) },
  };
  if (opts.withPooling && src.postModules.some((m) => m.kind === "pooling" && !m.config.includePrompt)) {
    // The prompt length is known only at run time: the baked pooling counts prompt tokens.
    model.metadata["pooling_include_prompt"] = "false (not applied in the graph; pool token_embeddings outside it when using prompts)";
  }
  if (opts.quantize === "int8") model = quantizeDynamic(model, opts.quantizedFormat ? { format: opts.quantizedFormat } : {});
  return model;
}

/**
 * Exports a model to ONNX (`sbert export-onnx`) and writes it atomically: a folder (loaded on the
 * native backend), or a loaded model on the native backend, which needs `output`.
 *
 * @example
 * const { path } = await exportOnnx("models/all-MiniLM-L6-v2", { quantize: "int8" });
 * // → models/all-MiniLM-L6-v2/onnx/model_qint8_avx512_vnni.onnx
 * const model = await SentenceTransformer.load("models/all-MiniLM-L6-v2", { backend: "native" });
 * await exportOnnx(model, { output: "out", withPooling: true }); // → out/model_pooled.onnx
 */
export async function exportOnnx(modelDir: ExportableModel, opts: ExportOnnxOptions = {}): Promise<ExportOnnxResult> {
  checkOptions(opts, EXPORT_KEYS, "exportOnnx");
  const fileName = opts.fileName ?? defaultOnnxFileName(opts);
  if (fileName !== basename(fileName) || fileName === "" || fileName.startsWith(".")) {
    throw new SbertError("INVALID_INPUT", `fileName must be a plain file name, got "${fileName}"`);
  }
  if (typeof modelDir !== "string" && opts.output === undefined) {
    throw new SbertError("INVALID_INPUT", "exportOnnx of a loaded model needs output (the folder to write into)");
  }
  const model = await buildOnnxModel(modelDir, opts);
  let outDir = opts.output;
  if (outDir === undefined) {
    outDir = join(modelDir as string, "onnx");
    await mkdir(outDir, { recursive: true });
  }
  const path = join(outDir, fileName);
  const { bytes, externalData } = await writeOnnxModel(model, path);
  return {
    path,
    externalData,
    inputs: model.graph.inputs.map((i) => i.name),
    outputs: model.graph.outputs.map((o) => o.name),
    opset: model.opsets[""] ?? OPSET,
    bytes,
  };
}
