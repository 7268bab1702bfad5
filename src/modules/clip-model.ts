/**
 * CLIPModel: a text tower and an image tower that embed into one space (sentence-transformers'
 * clip-ViT-B-32 family). Ported from sentence-transformers `sentence_transformers/models/CLIPModel.py`
 * (`tokenize` splits texts from images, `forward` runs `text_model` + `text_projection` on the texts
 * and `vision_model` + `visual_projection` on the images, rows back in input order; `save` =
 * `save_pretrained` of the model and processor) and, for the 5.4+ layout, from its `Transformer`
 * with `modality_config` text → `get_text_features`, image → `get_image_features`
 * (`sentence_bert_config.json`). The towers are architectures/clip.ts.
 *
 * Two folder layouts load: `modules.json` naming `sentence_transformers.models.CLIPModel` (the Hub's
 * layout, a `0_CLIPModel/` folder), and a root `Transformer` module whose config.json is a CLIP
 * model (what sentence-transformers 5.x saves). Backends: native (also for `auto`), or `onnx`: the
 * same tower definitions lowered to ONNX in memory (`TransformerOptions.clipOnnx`) and run in ONNX Runtime.
 *
 * @example
 * const model = await SentenceTransformer.load("sentence-transformers/clip-ViT-B-32");
 * const [text, image] = (await model.encode(["a cat", { image: "cat.jpg" }])).rows();
 */
import { join } from "node:path";
import { type ClipConfig, parseClipConfig } from "../architectures/clip-config.js";
import { ClipEncoder, requirePixelsFit } from "../architectures/clip-encoder.js";
import { availableParallelism } from "node:os";
import { ClipOnnxRunner } from "../backends/clip-onnx.js";
import type { PixelBatch } from "../architectures/encoder.js";
import { SbertError } from "../errors.js";
import { type JsonObject, readJsonObject } from "../io/json-file.js";
import type { Tensor } from "../tensor/tensor.js";
import { type TextInput, TextTokenizer, type TokenBatch, type TokenRow } from "../tokenizers/text-tokenizer.js";
import { prepareInputs } from "../tokenizers/token-rows.js";
import type { ImageInput, ImageInputModule, ImagePreprocessor } from "./image-input.js";
import type { InputModule } from "./input-module.js";
import type { ExportSpec, Features, ModuleSaveOptions } from "./module.js";
import { writeModuleJson, writeModuleWeights } from "./module-files.js";
import type { TransformerOptions } from "./transformer.js";
import { copySourceFiles, copyTokenizerFiles } from "./transformer-files.js";
import { loadParamStore } from "./weights.js";

/** `hub`: the classic CLIPModel module; `transformer`: the 5.4+ Transformer module with a modality_config. */
export type ClipLayout = "hub" | "transformer";

const MODALITY_METHODS = { text: "get_text_features", image: "get_image_features" } as const;

export class CLIPModel implements InputModule, ImageInputModule {
  readonly typeName: "CLIPModel" | "Transformer";
  readonly task = "feature-extraction";
  readonly tokenizer: TextTokenizer;
  readonly clip: ClipEncoder;
  readonly layout: ClipLayout;
  /** The folder the module was loaded from: `save` copies config.json, the processor and tokenizer files from it. */
  readonly sourceDir: string;
  /** The engine the towers run on. */
  readonly backendName: "native" | "onnx";
  readonly computeThreads: number;
  /**
   * Decodes and preprocesses images (the model's image processor); from `TransformerOptions.imagePreprocessor`
   * at load. Without one, images are refused (INVALID_OPERATION); pixel values still go through `encodePixels`.
   */
  imagePreprocessor: ImagePreprocessor | undefined;
  private seqLength: number;
  private readonly stConfig: JsonObject;
  private readonly onnx: ClipOnnxRunner | undefined;

  constructor(
    clip: ClipEncoder,
    tokenizer: TextTokenizer,
    opts: { layout: ClipLayout; sourceDir: string; maxSeqLength: number; stConfig?: JsonObject; imagePreprocessor?: ImagePreprocessor | undefined; onnx?: ClipOnnxRunner | undefined },
  ) {
    this.onnx = opts.onnx;
    this.backendName = opts.onnx ? "onnx" : "native";
    this.computeThreads = opts.onnx ? (opts.onnx.threads ?? availableParallelism()) : 1;
    this.clip = clip;
    this.tokenizer = tokenizer;
    this.layout = opts.layout;
    this.typeName = opts.layout === "hub" ? "CLIPModel" : "Transformer";
    this.sourceDir = opts.sourceDir;
    this.stConfig = opts.stConfig ?? {};
    this.imagePreprocessor = opts.imagePreprocessor;
    this.seqLength = this.checkLength(opts.maxSeqLength);
  }

  /**
   * Reads config.json (a CLIP model), model.safetensors, the tokenizer, sentence_bert_config.json
   * (5.4+ layout) and the image-processor settings (preprocessor_config.json or processor_config.json).
   * @throws SbertError INVALID_INPUT (unknown backend), UNSUPPORTED_FORMAT (backend "onnx" without
   *   ONNX Runtime or the lowering; a modality_config calling other methods)
   */
  static async load(dir: string, opts: TransformerOptions & { layout?: ClipLayout } = {}): Promise<CLIPModel> {
    const backend = opts.backend ?? "auto";
    if (backend !== "auto" && backend !== "native" && backend !== "onnx") {
      throw new SbertError("INVALID_INPUT", `backend must be "auto", "native" or "onnx", got "${String(backend)}"`);
    }
    const lower = opts.clipOnnx;
    if (backend === "onnx" && !lower) {
      throw new SbertError("UNSUPPORTED_FORMAT", `${dir}: a CLIP model on backend "onnx" needs its towers lowered to ONNX; load it with SentenceTransformer.load, or use backend "native"`);
    }
    const layout = opts.layout ?? "hub";
    const [raw, stConfig] = await Promise.all([readJsonObject(dir, "config.json"), readJsonObject(dir, "sentence_bert_config.json", { optional: true })]);
    const config = parseClipConfig(raw);
    if (layout === "transformer") checkModalityConfig(stConfig ?? {}, dir);
    const [tokenizer, params, processor] = await Promise.all([TextTokenizer.fromFolder(dir), loadParamStore(dir), imageProcessorConfig(dir)]);
    tokenizer.requireVocabularyWithin(config.text.vocabSize, dir);
    const stored = stConfig?.["max_seq_length"];
    const maxSeqLength = opts.maxSeqLength ?? (typeof stored === "number" ? stored : Math.min(config.text.maxPositionEmbeddings, tokenizer.modelMaxLength ?? Infinity));
    const imagePreprocessor = processor && opts.imagePreprocessor ? await opts.imagePreprocessor(processor, dir) : undefined;
    const clip = new ClipEncoder(config, params);
    const onnx = backend === "onnx" && lower ? new ClipOnnxRunner({ text: () => lower(config, clip.weights, "text"), vision: () => lower(config, clip.weights, "vision") }, opts.threads) : undefined;
    if (onnx) await onnx.ready();
    return new CLIPModel(clip, tokenizer, { layout, sourceDir: dir, maxSeqLength, ...(stConfig ? { stConfig } : {}), imagePreprocessor, onnx });
  }

  get config(): ClipConfig {
    return this.clip.config;
  }

  private checkLength(n: number): number {
    const limit = this.clip.maxSequenceLength;
    if (!Number.isInteger(n) || n <= 0) throw new SbertError("INVALID_INPUT", `maxSeqLength must be a positive integer, got ${n}`);
    if (n > limit) throw new SbertError("INVALID_INPUT", `maxSeqLength ${n} is longer than this CLIP text tower can take: its position table has ${limit} rows; set maxSeqLength to ${limit} or less`);
    return n;
  }

  /** Longest token sequence (special tokens included); longer texts are truncated, `<|endoftext|>` kept last. */
  get maxSeqLength(): number {
    return this.seqLength;
  }

  set maxSeqLength(n: number) {
    this.seqLength = this.checkLength(n);
  }

  /** The projection size both towers embed into (`projection_dim`). */
  outputDimension(): number {
    return this.config.projectionDim;
  }

  /** None for the Hub layout (Python's CLIPModel saves only the transformers files); the 5.4+ layout's sentence_bert_config.json otherwise. */
  getConfigDict(): Record<string, unknown> | undefined {
    if (this.layout === "hub") return undefined;
    return "max_seq_length" in this.stConfig ? { ...this.stConfig, max_seq_length: this.maxSeqLength } : { ...this.stConfig };
  }

  /** Every weight of the checkpoint (`text_model.…`, `vision_model.…`, the projections, `logit_scale`). */
  parameters(): ReadonlyMap<string, Tensor> {
    return this.clip.params.tensors;
  }

  /** UNSUPPORTED_FORMAT: two towers make no single graph of the exporter's kind; `exportClipOnnx` (sbert-ts/onnx) writes one per tower. */
  exportSpec(): ExportSpec {
    throw new SbertError("UNSUPPORTED_FORMAT", "a CLIP model has two towers (text and vision), not one encoder graph: export them with exportClipOnnx (text_model.onnx and vision_model.onnx)");
  }

  /** config.json, the processor and tokenizer files (copied), model.safetensors from memory, and sentence_bert_config.json for the 5.4+ layout. */
  async save(dir: string, opts: ModuleSaveOptions = {}): Promise<void> {
    const from = opts.sourceDir ?? this.sourceDir;
    await copySourceFiles(from, dir, ["config.json"]);
    for (const name of ["preprocessor_config.json", "processor_config.json"]) {
      if ((await readJsonObject(from, name, { optional: true })) !== undefined) await copySourceFiles(from, dir, [name]);
    }
    await copyTokenizerFiles(from, dir);
    await writeModuleWeights(dir, this.parameters());
    const dict = this.getConfigDict();
    if (dict) await writeModuleJson(join(dir, "sentence_bert_config.json"), dict);
  }

  tokenize(inputs: readonly TextInput[]): TokenBatch {
    return this.padRows(this.tokenizeRows(inputs));
  }

  /** As the CLIP processor's tokenizer: special tokens, truncation to `maxSeqLength`. */
  tokenizeRows(inputs: readonly TextInput[]): TokenRow[] {
    if (inputs.some((t) => typeof t !== "string")) throw new SbertError("INVALID_INPUT", "a CLIP model embeds single texts, not text pairs");
    return this.tokenizer.encodeRows(prepareInputs(inputs, false), { maxLength: this.maxSeqLength });
  }

  tokenizeRowsInThread(inputs: readonly TextInput[]): Promise<TokenRow[]> {
    return Promise.resolve().then(() => this.tokenizeRows(inputs));
  }

  padRows(rows: readonly TokenRow[]): TokenBatch {
    return this.tokenizer.padRows(rows);
  }

  /** Releases the ONNX Runtime sessions (onnx backend). */
  async dispose(): Promise<void> {
    await this.onnx?.dispose();
  }

  /** The image processor's pixel values for `images`, in order. */
  async preprocessImages(images: readonly ImageInput[]): Promise<PixelBatch> {
    if (!this.imagePreprocessor) {
      throw new SbertError("INVALID_OPERATION", `${this.sourceDir}: no image decoder is available for this CLIP model (it needs preprocessor_config.json or processor_config.json and the image preprocessing of sbert-ts); embed texts, or pass pixel values to encodePixels`);
    }
    const px = await this.imagePreprocessor(images);
    if (px.batch !== images.length) throw new SbertError("INVALID_OPERATION", `the image preprocessor returned ${px.batch} images for ${images.length} inputs`);
    return px;
  }

  /** Image embeddings (batch, projection_dim) of pixel values (batch, C, S, S); INVALID_INPUT for another size. */
  encodePixels(pixels: PixelBatch): Tensor | Promise<Tensor> {
    if (!this.onnx) return this.clip.encodeImages(pixels);
    requirePixelsFit(pixels, this.config);
    return this.onnx.encodeImages(pixels);
  }

  /** Text embeddings (batch, projection_dim) of a tokenized batch. */
  encodeTokens(batch: TokenBatch): Tensor | Promise<Tensor> {
    if (!this.onnx) return this.clip.encodeText(batch);
    this.clip.requireTextFits(batch);
    return this.onnx.encodeText(batch);
  }

  /** `sentenceEmbedding`: text embeddings of `features.batch`, or image embeddings of `features.pixels`. */
  async forward(features: Features): Promise<Features> {
    const sentenceEmbedding = await (features.pixels ? this.encodePixels(features.pixels) : this.encodeTokens(features.batch));
    return { ...features, sentenceEmbedding };
  }
}

/** The image processor's settings: preprocessor_config.json, else processor_config.json's `image_processor`; undefined without either. */
async function imageProcessorConfig(dir: string): Promise<JsonObject | undefined> {
  const own = await readJsonObject(dir, "preprocessor_config.json", { optional: true });
  if (own) return own;
  const proc = (await readJsonObject(dir, "processor_config.json", { optional: true }))?.["image_processor"];
  return proc && typeof proc === "object" && !Array.isArray(proc) ? (proc as JsonObject) : undefined;
}

/** A 5.4+ Transformer over CLIP must call get_text_features / get_image_features for its modalities (pooler_output), into sentence_embedding. */
function checkModalityConfig(st: JsonObject, dir: string): void {
  const modalities = st["modality_config"];
  if (modalities === undefined) return;
  if (typeof modalities !== "object" || modalities === null) throw new SbertError("INVALID_MODEL_FILE", `${dir}/sentence_bert_config.json: modality_config must be an object`);
  for (const [name, spec] of Object.entries(modalities)) {
    const want = MODALITY_METHODS[name as keyof typeof MODALITY_METHODS];
    const s = spec as { method?: unknown; method_output_name?: unknown } | null;
    if (!want || s?.method !== want || (s.method_output_name ?? "pooler_output") !== "pooler_output") {
      throw new SbertError("UNSUPPORTED_FORMAT", `${dir}/sentence_bert_config.json: modality "${name}" calls ${JSON.stringify(s?.method)} / ${JSON.stringify(s?.method_output_name)}; a CLIP model supports text → get_text_features and image → get_image_features (pooler_output)`);
    }
  }
  const out = st["module_output_name"];
  if (out !== undefined && out !== "sentence_embedding") throw new SbertError("UNSUPPORTED_FORMAT", `${dir}/sentence_bert_config.json: module_output_name "${String(out)}" is not supported for CLIP (sentence_embedding)`);
}
