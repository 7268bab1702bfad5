import { type Command, Option } from "commander";
import { exportOnnx } from "../../onnx/export.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { type CliModelOptions, isHubId, resolveCliModelDir } from "../model.js";
import { withModelSourceOptions } from "../options.js";

interface ExportOnnxCliOptions extends CliModelOptions {
  model: string;
  output?: string;
  withPooling?: boolean;
  quantize?: "int8";
  fileName?: string;
}

/** `sbert export-onnx`: writes the model's ONNX graph, built from its safetensors weights. */
export function registerExportOnnx(program: Command, io: CliIo): void {
  withModelSourceOptions(program.command("export-onnx"))
    .summary("build an ONNX graph from a model folder or hub id (no Python needed)")
    .description(
      "Build the ONNX graph (opset 17) of a BERT, DistilBERT, RoBERTa, XLM-R, CamemBERT or MPNet model " +
        "from config.json and model.safetensors, and write it atomically. A hub id is downloaded first and " +
        "needs --output (the hub cache is not written into). Inputs: input_ids, attention_mask (and " +
        "token_type_ids for BERT); outputs: last_hidden_state, or logits for a cross-encoder. Prints one " +
        "JSON object: path, inputs, outputs, opset, bytes.",
    )
    .option("-o, --output <dir>", "existing folder to write into (default: <model>/onnx, created; required for a hub id)")
    .option("--with-pooling", "bake Pooling, Dense and Normalize into the graph: outputs token_embeddings and sentence_embedding")
    .addOption(new Option("--quantize <type>", "dynamic quantization: int8 weights per output channel, uint8 activations at run time").choices(["int8"]))
    .option("--file-name <name>", "file name (default model.onnx; model_qint8_avx512_vnni.onnx with --quantize int8; model_pooled*.onnx with --with-pooling)")
    .action(async (opts: ExportOnnxCliOptions) => {
      if (opts.output === undefined && (await isHubId(opts.model))) {
        throw new UsageError(`--model "${opts.model}" is a Hugging Face id: pass --output <dir> for the ONNX file (the hub cache is shared with Python and is not written into)`);
      }
      const dir = await resolveCliModelDir(opts.model, opts.revision !== undefined ? { revision: opts.revision } : {}, io);
      const result = await exportOnnx(dir, {
        ...(opts.output !== undefined ? { output: opts.output } : {}),
        ...(opts.fileName !== undefined ? { fileName: opts.fileName } : {}),
        ...(opts.withPooling ? { withPooling: true } : {}),
        ...(opts.quantize ? { quantize: opts.quantize } : {}),
      });
      io.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
