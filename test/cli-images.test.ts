/**
 * `{"image": PATH}` lines in `sbert encode` / `sbert search` input (src/cli/image-lines.ts), against
 * the clip-tiny goldens (sentence-transformers 5.7): image rows equal `image_embeddings`, text
 * rows `text_embeddings` (1e-5), search scores the text x image cosine matrix; and every bad image
 * (path leaving the input's folder, missing, corrupt, truncated, 0x0, 50,000 x 50,000 by its
 * header, not an image, a text-only model) a one-line message and exit status 1.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLineItem, resolveImagePath } from "../src/cli/image-lines.js";
import { SbertError } from "../src/errors.js";
import { pngOfSize } from "../src/image/testdata/png-writer.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES, maxAbsDiff, readGolden } from "./helpers/fixtures.js";

const CLIP = join(FIXTURES, "clip-tiny");
const TEXT_MODEL = join(FIXTURES, "st-bert-mean");
const g = readGolden(CLIP);
const images = (g["images"] as { file: string }[]).map((i) => i.file);
const sentences = g["sentences"] as string[];
const imageEmb = g["image_embeddings"] as number[][];
const textEmb = g["text_embeddings"] as number[][];
const sim = g["similarity_text_x_image"] as number[][];
const TOL = 1e-5;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sbert-cli-img-"));
  await mkdir(join(dir, "pics"));
  for (const f of images) await copyFile(join(CLIP, f), join(dir, "pics", f.split("/").pop()!));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rows = (stdout: string): number[][] => stdout.trim().split("\n").map((l) => JSON.parse(l) as number[]);
const imageLine = (p: string): string => JSON.stringify({ image: p }) + "\n";
const base = (f: string): string => f.split("/").pop()!;


const LAYOUTS = ["clip-tiny", "clip-tiny-v5layout"].flatMap((name) => (["native", "onnx"] as const).map((backend) => [name, backend] as const));

describe.each(LAYOUTS)("sbert encode with image lines: %s (%s)", (name, backend) => {
  it("relative paths (from the input's folder) give image_embeddings; batch size does not matter", async () => {
    expect(readGolden(join(FIXTURES, name))["image_embeddings"]).toEqual(imageEmb);
    const input = join(dir, "images.jsonl");
    await writeFile(input, images.map((f) => imageLine(`pics/${base(f)}`)).join(""));
    for (const bs of ["8", "1"]) {
      const r = await runCli(["encode", "-m", join(FIXTURES, name), "--backend", backend, "-i", input, "--batch-size", bs]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(maxAbsDiff(rows(r.stdout), imageEmb)).toBeLessThanOrEqual(TOL);
    }
  });
});

describe("sbert encode with image lines (clip-tiny golden)", () => {
  it("absolute paths, stdin, and texts mixed with images: rows in input order", async () => {
    const lines = [imageLine(resolve(CLIP, images[0]!)), JSON.stringify(sentences[1]) + "\n", imageLine(resolve(CLIP, images[3]!)), JSON.stringify({ text: sentences[2] }) + "\n"];
    const r = await runCli(["encode", "-m", CLIP, "-i", "-", "--input-format", "jsonl"], { stdin: lines.join("") });
    expect(r.stderr).toBe("");
    expect(maxAbsDiff(rows(r.stdout), [imageEmb[0], textEmb[1], imageEmb[3], textEmb[2]])).toBeLessThanOrEqual(TOL);
  });

  it("--chunk-size 1 and --normalize: the same rows, normalized", async () => {
    const input = join(dir, "mixed.jsonl");
    await writeFile(input, [imageLine(`pics/${base(images[4]!)}`), JSON.stringify(sentences[3]) + "\n", imageLine(`./pics/../pics/${base(images[5]!)}`)].join(""));
    const r = await runCli(["encode", "-m", CLIP, "-i", input, "--chunk-size", "1", "--normalize"]);
    expect(r.stderr).toBe("");
    const norm = (v: number[]): number[] => v.map((x) => x / Math.hypot(...v));
    expect(maxAbsDiff(rows(r.stdout), [norm(imageEmb[4]!), norm(textEmb[3]!), norm(imageEmb[5]!)])).toBeLessThanOrEqual(TOL);
  });
});

describe("sbert search: images found by text", () => {
  it("--corpus images.jsonl --queries texts.txt: hits ranked by the golden text x image cosine", async () => {
    const corpus = join(dir, "corpus.jsonl");
    await writeFile(corpus, images.map((f) => imageLine(`pics/${base(f)}`)).join(""));
    const queries = join(dir, "queries.txt");
    const q = [1, 2, 6];
    await writeFile(queries, q.map((i) => sentences[i]).join("\n") + "\n");
    const r = await runCli(["search", "-m", CLIP, "--corpus", corpus, "--queries", queries, "--top-k", "6"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const hits = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { corpus_id: number; score: number }[]);
    hits.forEach((list, k) => {
      const row = sim[q[k]!]!;
      expect(list).toHaveLength(6);
      for (const h of list) expect(Math.abs(h.score - row[h.corpus_id]!)).toBeLessThanOrEqual(TOL);
      const best = row.indexOf(Math.max(...row));
      expect(list[0]!.corpus_id).toBe(best);
    });
  });
});

describe("bad images: a typed error, one clear line, exit status 1", () => {
  const bad = async (name: string, line: string, bytes?: Uint8Array | string, model = CLIP): Promise<string> => {
    const sub = join(dir, `case-${name}`);
    await mkdir(sub, { recursive: true });
    if (bytes !== undefined) await writeFile(join(sub, "x.png"), bytes);
    const input = join(sub, "in.jsonl");
    await writeFile(input, JSON.stringify("a text") + "\n" + line);
    const r = await runCli(["encode", "-m", model, "-i", input]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+|SBERT_DEBUG/);
    return r.stderr;
  };

  it("a relative path that leaves the input's folder (checked before the model loads)", async () => {
    const sub = join(dir, "case-escape");
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, "in.jsonl"), imageLine("../pics/" + base(images[0]!)));
    const r = await runCli(["encode", "-m", join(FIXTURES, "no-such-model"), "-i", join(sub, "in.jsonl")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/in\.jsonl: line 1: image path "\.\.\/pics\/.*" leaves the input's folder/);
    expect(await bad("escape2", imageLine("pics/../../x.png"))).toMatch(/line 2: .*leaves the input's folder/);
  });

  it("a missing file, a folder, a URL, a non-string", async () => {
    expect(await bad("missing", imageLine("nope.png"))).toMatch(/in\.jsonl: line 2: image "nope\.png": file .*nope\.png does not exist/);
    expect(await bad("folder", imageLine("."))).toMatch(/line 2: .* is not a file/);
    expect(await bad("url", imageLine("https://example.com/a.png"))).toMatch(/line 2: .*URLs are not fetched/);
    expect(await bad("nonstring", JSON.stringify({ image: 3 }) + "\n")).toMatch(/line 2: "image" must be a non-empty string/);
    expect(await bad("both", JSON.stringify({ image: "x.png", text: "t" }) + "\n")).toMatch(/line 2: .*not both/);
  });

  it("corrupt, truncated, not an image", async () => {
    const png = await readFile(join(CLIP, images[1]!));
    const corrupt = Uint8Array.from(png);
    corrupt[png.length - 30] = (corrupt[png.length - 30] ?? 0) ^ 0xff;
    expect(await bad("corrupt", imageLine("x.png"), corrupt)).toMatch(/x\.png: corrupt PNG \(CRC mismatch/);
    expect(await bad("truncated", imageLine("x.png"), png.subarray(0, png.length >> 1))).toMatch(/x\.png: corrupt PNG/);
    expect(await bad("text", imageLine("x.png"), "hello")).toMatch(/x\.png: not a PNG or JPEG file/);
    expect(await bad("empty", imageLine("x.png"), new Uint8Array(0))).toMatch(/x\.png: not a PNG or JPEG file/);
  });

  it("0x0 and 50,000 x 50,000 pixels, refused by the header before decoding", async () => {
    expect(await bad("zero", imageLine("x.png"), pngOfSize(0, 0))).toMatch(/x\.png: .*0x0/);
    const t0 = performance.now();
    expect(await bad("huge", imageLine("x.png"), pngOfSize(50_000, 50_000))).toMatch(/x\.png: image of 50000x50000 = 2500000000 pixels exceeds the limit/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("an image line for a text-only model", async () => {
    expect(await bad("textonly", imageLine("x.png"), await readFile(join(CLIP, images[0]!)), TEXT_MODEL)).toMatch(/reads text only/);
  });

  it("jsonLineItem / resolveImagePath throw SbertError INVALID_INPUT", () => {
    const err = (f: () => unknown): SbertError => {
      try {
        f();
      } catch (e) {
        return e as SbertError;
      }
      throw new Error("no error");
    };
    expect(err(() => jsonLineItem('{"image": "../a.png"}', 4, "in.jsonl", "/data/in"))).toMatchObject({ name: "SbertError", code: "INVALID_INPUT" });
    expect(jsonLineItem('{"image": "a/../b.png"}', 1, "in.jsonl", "/data/in")).toEqual({ image: "/data/in/b.png" });
    expect(jsonLineItem('{"image": "/elsewhere/b.png"}', 1, "in.jsonl", "/data/in")).toEqual({ image: "/elsewhere/b.png" });
    expect(jsonLineItem('{"text": "t", "id": 1}', 1, "in.jsonl", "/data/in")).toBe("t");
    const fail = (m: string) => new SbertError("INVALID_INPUT", m);
    expect(() => resolveImagePath("..", "/data/in", fail)).toThrow(/leaves the input's folder/);
    expect(() => resolveImagePath("a\0b", "/data/in", fail)).toThrow(/NUL/);
  });
});
