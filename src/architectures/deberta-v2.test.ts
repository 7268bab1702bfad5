import { describe, expect, it } from "vitest";
import { parseEncoderConfig } from "./config.js";
import { debertaRelativePosition, debertaV2 } from "./deberta-v2.js";
import { ParamStore } from "./params.js";

/** Expected buckets: transformers' `make_log_bucket_position` evaluated in float32 (numpy), for offsets 0..70 and a few large ones. */
describe("debertaRelativePosition", () => {
  it("position_buckets 8, max_position 64 (the fixture's settings): exact within ±4, log buckets beyond, odd in the offset", () => {
    const want = [0, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8];
    expect(want.map((_, r) => debertaRelativePosition(r, 8, 64))).toEqual(want);
    expect(want.map((_, r) => debertaRelativePosition(0 - r, 8, 64))).toEqual(want.map((v) => (v === 0 ? 0 : -v)));
  });

  it("position_buckets 256, max_position 512 (DeBERTa-v3 base)", () => {
    const at = [127, 128, 129, 130, 140, 200, 255, 256, 300, 400, 511, 512, 600, 1000];
    expect(at.map((r) => debertaRelativePosition(r, 256, 512))).toEqual([127, 128, 129, 130, 137, 169, 192, 192, 207, 233, 255, 256, 270, 317]);
  });

  it("no buckets: the offset itself", () => {
    expect([-9, 0, 3, 700].map((r) => debertaRelativePosition(r, -1, 512))).toEqual([-9, 0, 3, 700]);
  });
});

const base = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8 };
const empty = new ParamStore(new Map(), "test");

describe("deberta-v2 configurations it refuses", () => {
  it("deberta-v2 with a convolution layer or an odd head size is UNSUPPORTED_FORMAT", () => {
    for (const extra of [{ conv_kernel_size: 3 }, { attention_head_size: 3 }]) {
      const c = parseEncoderConfig({ ...base, model_type: "deberta-v2", ...extra });
      expect(() => debertaV2.load(c, empty, empty)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_FORMAT" }));
    }
  });
});
