import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { checkOptions, optionKeys } from "../strict-options.js";
import { SbertError } from "../errors.js";
import { packageVersion } from "../package-version.js";
import type { TransformerTask } from "../modules/transformer.js";
import { type EncoderInputs, encoderGraph } from "./encoder-graph.js";
import { poolingGraph } from "./export-pooling.js";
import { DataType, IR_VERSION, type ModelSpec, OPSET } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import { type QuantizedMatMulFormat, quantizeDynamic } from "./quantize-dynamic.js";
import { readExportSource } from "./read-model.js";
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
 * Builds the ONNX model of a model folder in memory, without Python.
 *
 * Inputs (int64, [batch_size, sequence_length]): `input_ids`, `attention_mask`, and
 * `token_type_ids` for BERT only (as Optimum exports). Outputs: `last_hidden_state`
 * [batch_size, sequence_length, H]; for sequence classification `logits` [batch_size, labels];
 * with pooling `token_embeddings` and `sentence_embedding` [batch_size, D]. Opset 17.
 */
export async function buildOnnxModel(modelDir: string, opts: ExportOnnxOptions = {}): Promise<ModelSpec> {
  const src = await readExportSource(modelDir, opts.task);
  const c = src.arch.config;
  if (opts.withPooling && src.task === "sequence-classification") {
    throw new SbertError("INVALID_INPUT", `${modelDir} is a cross-encoder (sequence classification): --with-pooling applies to bi-encoders only`);
  }
  const b = new GraphBuilder(`sbert_ts_${c.modelType.replace(/[^a-z0-9]/gi, "_")}`);
  const dims = ["batch_size", "sequence_length"];
  const inputs: EncoderInputs = {
    inputIds: b.input("input_ids", DataType.INT64, dims),
    attentionMask: b.input("attention_mask", DataType.INT64, dims),
    tokenTypeIds: src.arch.usesTokenTypeIds ? b.input("token_type_ids", DataType.INT64, dims) : undefined,
  };
  const hidden = encoderGraph(b, src.arch, inputs);
  if (src.task === "sequence-classification") {
    b.output((src.arch.head as NonNullable<typeof src.arch.head>)(b, hidden), "logits", DataType.FLOAT, ["batch_size", c.numLabels]);
  } else if (opts.withPooling) {
    const pooled = poolingGraph(b, hidden, c.hiddenSize, inputs.attentionMask, inputs.inputIds, src.postModules);
    const tokenDim = pooled.tokenEmbeddings === hidden ? c.hiddenSize : "token_dim";
    b.output(pooled.tokenEmbeddings, "token_embeddings", DataType.FLOAT, ["batch_size", "sequence_length", tokenDim]);
    b.output(pooled.sentenceEmbedding, "sentence_embedding", DataType.FLOAT, ["batch_size", pooled.sentenceDim]);
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
 * Exports a model folder to ONNX (`sbert export-onnx`): builds the graph from config.json and
 * model.safetensors and writes it atomically.
 *
 * @example
 * const { path } = await exportOnnx("models/all-MiniLM-L6-v2", { quantize: "int8" });
 * // → models/all-MiniLM-L6-v2/onnx/model_qint8_avx512_vnni.onnx
 */
export async function exportOnnx(modelDir: string, opts: ExportOnnxOptions = {}): Promise<ExportOnnxResult> {
  checkOptions(opts, EXPORT_KEYS, "exportOnnx");
  const fileName = opts.fileName ?? defaultOnnxFileName(opts);
  if (fileName !== basename(fileName) || fileName === "" || fileName.startsWith(".")) {
    throw new SbertError("INVALID_INPUT", `fileName must be a plain file name, got "${fileName}"`);
  }
  const model = await buildOnnxModel(modelDir, opts);
  let outDir = opts.output;
  if (outDir === undefined) {
    outDir = join(modelDir, "onnx");
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
