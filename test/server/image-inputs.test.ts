/**
 * Image inputs of /embed and /v1/embeddings (src/server/image-inputs.ts) over real HTTP on
 * 127.0.0.1: `data:image/png;base64,...` strings of the clip-tiny fixture images give the golden
 * image embeddings of sentence-transformers 5.7 (1e-5), computed in a worker thread (the bytes
 * cross the thread boundary) and on the HTTP thread; bad data URLs, images over the byte or pixel
 * limit (by the header), corrupt files and a text-only model are typed 4xx answers.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngOfSize } from "../../src/image/testdata/png-writer.js";
import { readImageDataUrl } from "../../src/server/image-inputs.js";
import type { RunningServer } from "../../src/server/server.js";
import { FIXTURES, maxAbsDiff, readGolden } from "../helpers/fixtures.js";
import { ST_DIR, post, start } from "./helpers.js";

const CLIP = join(FIXTURES, "clip-tiny");
const g = readGolden(CLIP);
const files = (g["images"] as { file: string }[]).map((i) => i.file);
const imageEmb = g["image_embeddings"] as number[][];
const imageNorm = g["image_embeddings_normalized"] as number[][];
const textEmb = g["text_embeddings"] as number[][];
const sentences = g["sentences"] as string[];
const TOL = 1e-5;

const dataUrl = (bytes: Uint8Array, type = "png"): string => `data:image/${type};base64,${Buffer.from(bytes).toString("base64")}`;


let pngs: Uint8Array[];
let urls: string[];
let workers: RunningServer;
let inProcess: RunningServer;
let textOnly: RunningServer;
beforeAll(async () => {
  pngs = await Promise.all(files.map((f) => readFile(join(CLIP, f))));
  urls = pngs.map((b) => dataUrl(b));
  [workers, inProcess, textOnly] = await Promise.all([
    start({ model: CLIP, backend: "native", maxImageBytes: 8000 }),
    start({ model: CLIP, backend: "native", threads: 0 }),
    start({ model: ST_DIR, threads: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all([workers?.close(), inProcess?.close(), textOnly?.close()]);
});

describe.each([
  ["worker thread", () => workers],
  ["HTTP thread", () => inProcess],
])("image data URLs (%s)", (_, server) => {
  it("/embed: images and texts mixed, rows in order, the golden embeddings (normalize false)", async () => {
    const r = await post(server(), "/embed", { inputs: [urls[0], sentences[1], urls[3], urls[5], sentences[2]], normalize: false });
    expect(r.status).toBe(200);
    expect(maxAbsDiff(r.body, [imageEmb[0], textEmb[1], imageEmb[3], imageEmb[5], textEmb[2]])).toBeLessThanOrEqual(TOL);
  });

  it("/v1/embeddings: one image, and every image in a list; normalized as OpenAI's are", async () => {
    const one = await post(server(), "/v1/embeddings", { input: urls[2], model: "clip" });
    expect(one.status).toBe(200);
    const d1 = (one.body as { data: { embedding: number[] }[] }).data;
    expect(maxAbsDiff([d1[0]?.embedding], [imageNorm[2]])).toBeLessThanOrEqual(TOL);
    const all = await post(server(), "/v1/embeddings", { input: urls });
    const body = all.body as { data: { embedding: number[]; index: number }[]; usage: { prompt_tokens: number } };
    expect(body.data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxAbsDiff(body.data.map((d) => d.embedding), imageNorm)).toBeLessThanOrEqual(TOL);
    expect(body.usage.prompt_tokens).toBe(0);
  });
});

it("the text routes of a CLIP model: /info, /tokenize, token ids", async () => {
  const info = await post(inProcess, "/tokenize", { inputs: sentences[1] });
  expect(info.status).toBe(200);
  const ids = (info.body as { id: number }[][])[0]?.map((t) => t.id) ?? [];
  expect(ids.length).toBeGreaterThan(2);
  const byIds = await post(inProcess, "/embed", { inputs: [ids], normalize: false });
  expect(byIds.status).toBe(200);
  expect(maxAbsDiff(byIds.body, [textEmb[1]])).toBeLessThanOrEqual(TOL);
  const r = await fetch(`${inProcess.url}/info`);
  expect(r.status).toBe(200);
  expect(await r.json()).toMatchObject({ model_type: expect.anything() });
});

describe("bad image inputs: typed 4xx answers", () => {
  const embed = (input: string, server = inProcess) => post(server, "/embed", { inputs: ["a text", input] });

  it("malformed data URLs: 422 validation naming the input", async () => {
    const cases: [string, RegExp][] = [
      ["data:image/png;base64", /no comma/],
      ["data:image/gif;base64,R0lGODlh", /image\/gif is not supported/],
      [`data:image/png,${"x".repeat(8)}`, /only base64/],
      ["data:image/png;base64,", /empty/],
      ["data:image/png;base64,iVBO*w0K", /not valid base64/],
      ["data:image/png;base64,iVBORw0", /not valid base64/],
      [dataUrl(pngs[0] as Uint8Array, "jpeg"), /says image\/jpeg, but the data is a PNG/],
      [dataUrl(new TextEncoder().encode("hello world!")), /not a PNG or JPEG/],
      [dataUrl(pngOfSize(0, 0)), /size of 0x0/],
    ];
    for (const [input, message] of cases) {
      const r = await embed(input);
      expect(r.status, input.slice(0, 40)).toBe(422);
      expect(r.body).toMatchObject({ error_type: "validation" });
      expect((r.body as { error: string }).error).toMatch(/`inputs\[1\]`/);
      expect((r.body as { error: string }).error).toMatch(message);
    }
  });

  it("over the byte limit (--max-image-bytes) or the pixel limit by the header: 413", async () => {
    const big = new Uint8Array(9000);
    big.set(pngs[0] as Uint8Array);
    const r = await embed(dataUrl(big), workers);
    expect(r.status).toBe(413);
    expect((r.body as { error: string }).error).toMatch(/limit is 8000 \(--max-image-bytes\)/);
    const huge = await embed(dataUrl(pngOfSize(50_000, 50_000)));
    expect(huge.status).toBe(413);
    expect((huge.body as { error: string }).error).toMatch(/50000x50000 = 2500000000 pixels; the limit is 16000000/);
    const openai = await post(inProcess, "/v1/embeddings", { input: dataUrl(pngOfSize(50_000, 50_000)) });
    expect(openai.status).toBe(413);
    expect(openai.body).toMatchObject({ code: 413, type: "validation" });
  });

  it("a corrupt or truncated PNG: 422 from the decoder, in a worker thread too", async () => {
    const png = pngs[1] as Uint8Array;
    const corrupt = Uint8Array.from(png);
    corrupt[png.length - 30] = (corrupt[png.length - 30] ?? 0) ^ 0xff;
    for (const bytes of [corrupt, png.subarray(0, png.length >> 1)]) {
      for (const server of [inProcess, workers]) {
        const r = await embed(dataUrl(bytes), server);
        expect(r.status).toBe(422);
        expect((r.body as { error: string }).error).toMatch(/corrupt PNG/);
      }
    }
    // the server still answers
    expect((await embed(urls[0] as string, workers)).status).toBe(200);
  });

  it("an image for a text-only model: the library's 422; /embed_all refuses images", async () => {
    const r = await embed(urls[0] as string, textOnly);
    expect(r.status).toBe(422);
    expect((r.body as { error: string }).error).toMatch(/reads text only/);
    const all = await post(inProcess, "/embed_all", { inputs: [urls[0]] });
    expect(all.status).toBe(422);
    expect((all.body as { error: string }).error).toMatch(/embed_all gives token embeddings of texts only/);
  });

  it("readImageDataUrl: the PNG's bytes back; jpg is an alias of jpeg", () => {
    const limits = { maxImageBytes: 1 << 20, maxImagePixels: 1 << 20 };
    expect(Buffer.from(readImageDataUrl(urls[0] as string, "x", limits)).equals(pngs[0] as Uint8Array)).toBe(true);
    expect(() => readImageDataUrl(dataUrl(pngs[0] as Uint8Array, "jpg"), "x", limits)).toThrow(/says image\/jpg, but the data is a PNG/);
    expect(() => readImageDataUrl(urls[0] as string, "x", { ...limits, maxImagePixels: 10 })).toThrow(expect.objectContaining({ kind: "payload_too_large" }));
  });
});
