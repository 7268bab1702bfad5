import { stat } from "node:fs/promises";
import { type Command, Option } from "commander";
import { SbertError } from "../../errors.js";
import { exportOnnx } from "../../onnx/export.js";
import type { CliIo } from "../io.js";

interface ExportOnnxCliOptions {
  model: string;
  output?: string;
  withPooling?: boolean;
  quantize?: "int8";
  fileName?: string;
}

/** `sbert export-onnx`: writes the model's ONNX graph, built from its safetensors weights. */
export function registerExportOnnx(program: Command, io: CliIo): void {
  program
    .command("export-onnx")
    .summary("build an ONNX graph from a model folder (no Python needed)")
    .description(
      "Build the ONNX graph (opset 17) of a BERT, DistilBERT, RoBERTa, XLM-R, CamemBERT or MPNet model " +
        "folder from config.json and model.safetensors, and write it atomically. Inputs: input_ids, " +
        "attention_mask (and token_type_ids for BERT); outputs: last_hidden_state, or logits for a " +
        "cross-encoder. Prints one JSON object: path, inputs, outputs, opset, bytes.",
    )
    .addOption(new Option("-m, --model <dir>", "model folder (a sentence-transformers save, or a Hugging Face folder with config.json)").makeOptionMandatory())
    .option("-o, --output <dir>", "existing folder to write into (default: <model>/onnx, created)")
    .option("--with-pooling", "bake Pooling, Dense and Normalize into the graph: outputs token_embeddings and sentence_embedding")
    .addOption(new Option("--quantize <type>", "dynamic quantization: int8 weights per output channel, uint8 activations at run time").choices(["int8"]))
    .option("--file-name <name>", "file name (default model.onnx; model_qint8_avx512_vnni.onnx with --quantize int8; model_pooled*.onnx with --with-pooling)")
    .action(async (opts: ExportOnnxCliOptions) => {
      const info = await stat(opts.model).catch(() => undefined);
      if (!info?.isDirectory()) throw new SbertError("FILE_NOT_FOUND", `model folder "${opts.model}" does not exist`);
      const result = await exportOnnx(opts.model, {
        ...(opts.output !== undefined ? { output: opts.output } : {}),
        ...(opts.fileName !== undefined ? { fileName: opts.fileName } : {}),
        ...(opts.withPooling ? { withPooling: true } : {}),
        ...(opts.quantize ? { quantize: opts.quantize } : {}),
      });
      io.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
