/**
 * CLIP throughput: images/s and texts/s on a clip-ViT-B-32-shaped model with random weights, on
 * the native and onnx backends, with % of the machine's fp32 peak and the share of image time
 * spent decoding and resizing.
 *
 *   npx tsx bench/clip.ts [--images 32] [--texts 256] [--threads 1] [--backends native,onnx] [--dir bench/models/clip-vit-b-32-random]
 *
 * The model is the clip-tiny fixture's Hub layout (modules.json, 0_CLIPModel/ with its tokenizer
 * and preprocessor) with config.json of openai/clip-vit-base-patch32 (vision: 224 px, patch 32,
 * 12 layers, 768 wide, 12 heads, MLP 3072; text: 12 layers, 512 wide, 8 heads, MLP 2048, 77
 * positions; projection 512) and N(0, 0.02²) weights of exactly the shapes the CLIP definition's
 * load asks for (`loadClipWeights`, as bench/lib/synth-model.ts does for text encoders). Images are
 * generated: 640x480 photo-like PNGs written by our own encoder (src/image/testdata/png-writer.ts)
 * and, when sharp is installed, the same pixels as quality-90 JPEGs; no network.
 *
 * FLOPs count useful work: vision per image 2·T·(4H² + 2H·F) + 4·T²·H per layer (T = 50 tokens),
 * the patch convolution 2·49·H·3·32² and the projection; text per text the same over its real
 * tokens (no padding; the causal half of attention counted in full, as for an encoder). % of peak
 * is against the measured fp32 peak per thread (bench/lib/peak.ts). Decode and resize are timed on their own (`loadImages`, then
 * `preprocessImages` with the folder's processor config) and given as a share of the encode time,
 * which includes them. cpu/wall is the process's CPU time over wall time while encoding (1 = one
 * busy thread), to check that `--threads` was honoured.
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseClipConfig } from "../src/architectures/clip-config.js";
import { loadClipWeights } from "../src/architectures/clip.js";
import { loadImages } from "../src/image/load-image.js";
import { preprocessImages } from "../src/image/preprocess.js";
import { loadImageProcessorConfig } from "../src/image/processor-config.js";
import { encodePng } from "../src/image/testdata/png-writer.js";
import { SentenceTransformer } from "../src/index.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { peakNote, peakPerCore } from "./lib/peak.js";
import { arg, row } from "./lib/cases.js";
import { rng } from "./lib/random.js";
import { stsDevSentences } from "./lib/sts.js";
import { RecordingParams } from "./lib/synth-model.js";

const PEAK_PER_CORE = (): number => peakPerCore().gflops;
const TEMPLATE = join(import.meta.dirname, "..", "test", "fixtures", "clip-tiny");
const DIR = arg("--dir", join(import.meta.dirname, "models", "clip-vit-b-32-random"));
const N_IMAGES = Number(arg("--images", "32"));
const N_TEXTS = Number(arg("--texts", "256"));
const THREADS = Number(arg("--threads", "1"));
const BACKENDS = arg("--backends", "native,onnx").split(",") as ("native" | "onnx")[];
const BATCH = 32;

/** openai/clip-vit-base-patch32's config.json (the sizes; vocab 49408). */
const B32 = {
  projection_dim: 512,
  text_config: { hidden_size: 512, intermediate_size: 2048, num_attention_heads: 8, num_hidden_layers: 12, max_position_embeddings: 77, vocab_size: 49408, projection_dim: 512 },
  vision_config: { hidden_size: 768, intermediate_size: 3072, num_attention_heads: 12, num_hidden_layers: 12, image_size: 224, patch_size: 32, projection_dim: 512 },
};

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** The model folder (made once; kept between runs). */
async function makeModel(): Promise<void> {
  const marker = join(DIR, "0_CLIPModel", "model.safetensors");
  if (await exists(marker)) return;
  await rm(DIR, { recursive: true, force: true });
  await mkdir(DIR, { recursive: true });
  await cp(join(TEMPLATE, "modules.json"), join(DIR, "modules.json"));
  await cp(join(TEMPLATE, "0_CLIPModel"), join(DIR, "0_CLIPModel"), { recursive: true });
  const sub = join(DIR, "0_CLIPModel");
  const base = JSON.parse(await readFile(join(sub, "config.json"), "utf8")) as Record<string, Record<string, unknown>>;
  const config = { ...base, projection_dim: B32.projection_dim, text_config: { ...base["text_config"], ...B32.text_config }, vision_config: { ...base["vision_config"], ...B32.vision_config } };
  await writeFile(join(sub, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  const pre = JSON.parse(await readFile(join(sub, "preprocessor_config.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(sub, "preprocessor_config.json"), `${JSON.stringify({ ...pre, size: 224, crop_size: 224 }, null, 2)}\n`);
  const tok = JSON.parse(await readFile(join(sub, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(sub, "tokenizer_config.json"), `${JSON.stringify({ ...tok, model_max_length: 77 }, null, 2)}\n`);
  const store = new RecordingParams(1234);
  loadClipWeights(parseClipConfig(config), store);
  const tensors = new Map([...store.made].map(([k, t]) => [k, { shape: [...t.shape], data: t.data }]));
  await writeSafetensors(join(sub, "model.safetensors"), tensors, { format: "pt" });
}

/** Photo-like RGB pixels: smooth gradients, a few discs, noise. */
function photo(width: number, height: number, seed: number): Uint8Array {
  const rand = rng(seed);
  const px = new Uint8Array(width * height * 3);
  const discs = Array.from({ length: 6 }, () => [rand() * width, rand() * height, 20 + rand() * 120, rand() * 255, rand() * 255, rand() * 255] as const);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = (x / width) * 200 + 30;
      let g = (y / height) * 180 + 40;
      let b = ((x + y) / (width + height)) * 150 + 60;
      for (const [cx, cy, rad, dr, dg, db] of discs) {
        if ((x - cx) ** 2 + (y - cy) ** 2 < rad * rad) [r, g, b] = [dr, dg, db];
      }
      const n = (rand() - 0.5) * 24;
      const o = (y * width + x) * 3;
      px[o] = Math.max(0, Math.min(255, r + n));
      px[o + 1] = Math.max(0, Math.min(255, g + n));
      px[o + 2] = Math.max(0, Math.min(255, b + n));
    }
  }
  return px;
}

/** Writes the test images; returns their paths by format. */
async function makeImages(): Promise<Record<string, string[]>> {
  const dir = join(DIR, "bench-images");
  await mkdir(dir, { recursive: true });
  const out: Record<string, string[]> = { png: [] };
  let sharp: ((input: Buffer, o: unknown) => { jpeg(o: unknown): { toFile(p: string): Promise<unknown> } }) | undefined;
  try {
    sharp = ((await import("sharp")) as unknown as { default: typeof sharp }).default;
    out["jpeg"] = [];
  } catch {
    sharp = undefined;
  }
  const distinct = Math.min(N_IMAGES, 8);
  for (let i = 0; i < distinct; i++) {
    const [w, h] = i % 2 === 0 ? [640, 480] : [480, 640];
    const px = photo(w, h, 77 + i);
    const png = join(dir, `img${i}.png`);
    if (!(await exists(png))) await writeFile(png, encodePng({ width: w, height: h, colorType: 2, depth: 8, samples: Array.from(px), filter: 4 }));
    const jpg = join(dir, `img${i}.jpg`);
    if (sharp && !(await exists(jpg))) await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(jpg);
  }
  for (let i = 0; i < N_IMAGES; i++) {
    out["png"]?.push(join(dir, `img${i % distinct}.png`));
    out["jpeg"]?.push(join(dir, `img${i % distinct}.jpg`));
  }
  return out;
}

function texts(n: number): string[] {
  const sts = stsDevSentences();
  if (sts && sts.length >= n) return sts.slice(0, n);
  const words = "a photo of the cat dog sitting on red blue mat near house tree river under big small bright sky".split(" ");
  return Array.from({ length: n }, (_, i) => Array.from({ length: 6 + (i % 14) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(" "));
}

const cfgOf = async () => parseClipConfig(JSON.parse(await readFile(join(DIR, "0_CLIPModel", "config.json"), "utf8")));

async function visionFlops(): Promise<number> {
  const c = await cfgOf();
  const v = c.vision;
  const patches = (v.imageSize / v.patchSize) ** 2;
  const t = patches + 1;
  const h = v.hiddenSize;
  const layer = 2 * t * (4 * h * h + 2 * h * v.intermediateSize) + 4 * t * t * h;
  return v.numLayers * layer + 2 * patches * h * v.numChannels * v.patchSize ** 2 + 2 * h * c.projectionDim;
}

async function textFlops(lengths: readonly number[]): Promise<number> {
  const c = await cfgOf();
  const t = c.text;
  const h = t.hiddenSize;
  return lengths.reduce((s, l) => s + t.numLayers * (2 * l * (4 * h * h + 2 * h * t.intermediateSize) + 4 * l * l * h) + 2 * h * c.projectionDim, 0);
}

let lastCpuRatio = 0;
/** Runs `f`; its result and wall seconds (`lastCpuRatio`: process CPU time / wall time, > 1 when several threads computed). */
async function time<T>(f: () => Promise<T>): Promise<[T, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  lastCpuRatio = (c.user + c.system) / 1e6 / wall;
  return [r, wall];
}

async function main(): Promise<void> {
  const [, makeS] = await time(makeModel);
  const images = await makeImages();
  const processor = await loadImageProcessorConfig(join(DIR, "0_CLIPModel"));
  const perImage = await visionFlops();
  const peak = PEAK_PER_CORE() * THREADS;
  const widths = [8, 16, 9, 9, 8, 8, 8, 8, 9, 7];
  console.log(`clip-ViT-B-32-shaped random model (${DIR}, made in ${makeS.toFixed(1)} s); ${N_IMAGES} images, ${N_TEXTS} texts, batch ${BATCH}, ${THREADS} thread(s), ${peakNote()}`);
  console.log(`vision: ${(perImage / 1e9).toFixed(2)} GFLOP per image`);
  console.log(row(["backend", "input", "items/s", "GFLOP/s", "% peak", "decode", "resize", "dec+res", "cpu/wall", "load s"], widths));
  const results: Record<string, unknown>[] = [];
  for (const backend of BACKENDS) {
    const [model, loadS] = await time(() => SentenceTransformer.load(DIR, { backend, threads: THREADS }));
    try {
      await model.encode([{ image: images["png"]?.[0] as string }, "warm up"], { batchSize: BATCH });
      for (const [format, paths] of Object.entries(images)) {
        const inputs = paths.map((p) => ({ image: p }));
        const [, encS] = await time(() => model.encode(inputs, { batchSize: BATCH }));
        const cpu = lastCpuRatio;
        const [rgb, decS] = await time(() => loadImages(paths));
        const [, resS] = await time(async () => preprocessImages(rgb, processor));
        const gflops = (perImage * paths.length) / encS / 1e9;
        const r = { backend, input: `${format} 640x480`, perSecond: paths.length / encS, gflops, peakPct: (100 * gflops) / peak, decodeShare: decS / encS, resizeShare: resS / encS, cpuPerWall: cpu };
        results.push(r);
        console.log(row([backend, r.input, r.perSecond.toFixed(2), gflops.toFixed(1), `${r.peakPct.toFixed(1)}%`, `${(100 * r.decodeShare).toFixed(1)}%`, `${(100 * r.resizeShare).toFixed(1)}%`, `${(100 * (r.decodeShare + r.resizeShare)).toFixed(1)}%`, cpu.toFixed(2), loadS.toFixed(1)], widths));
      }
      const list = texts(N_TEXTS);
      const lengths = Array.from(model.tokenize(list).lengths);
      const [, encS] = await time(() => model.encode(list, { batchSize: BATCH }));
      const cpu = lastCpuRatio;
      const gflops = (await textFlops(lengths)) / encS / 1e9;
      const meanLen = lengths.reduce((a, b) => a + b, 0) / lengths.length;
      const r = { backend, input: `text ${meanLen.toFixed(1)} tok`, perSecond: list.length / encS, gflops, peakPct: (100 * gflops) / peak, cpuPerWall: cpu };
      results.push(r);
      console.log(row([backend, r.input, r.perSecond.toFixed(1), gflops.toFixed(1), `${r.peakPct.toFixed(1)}%`, "", "", "", cpu.toFixed(2), loadS.toFixed(1)], widths));
    } finally {
      await model.dispose();
    }
  }
  console.log(JSON.stringify({ threads: THREADS, images: N_IMAGES, texts: N_TEXTS, visionGflopPerImage: perImage / 1e9, results }));
}

await main();
