import { describe, expect, it } from "vitest";
import { parseEncoderConfig } from "./config.js";
import { ParamStore } from "./params.js";
import { t5 } from "./t5.js";

const empty = new ParamStore(new Map(), "test");

describe("t5 configuration", () => {
  it("t5 with a malformed feed_forward_proj is INVALID_MODEL_FILE, an unknown activation UNSUPPORTED_FORMAT", () => {
    const t5Config = (proj: string) => parseEncoderConfig({ model_type: "t5", vocab_size: 10, d_model: 8, num_layers: 1, num_heads: 2, d_ff: 8, feed_forward_proj: proj });
    expect(() => t5.load(t5Config("gelu-gated"), empty, empty)).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => t5.load(t5Config("gated-gelu-x"), empty, empty)).toThrow(expect.objectContaining({ code: "INVALID_MODEL_FILE" }));
    expect(() => t5.load(t5Config("gated-mish"), empty, empty)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_FORMAT" }));
  });

  it("t5 config names map at the boundary (d_model, num_layers, num_heads, d_ff, layer_norm_epsilon, dropout_rate)", () => {
    const c = parseEncoderConfig({ model_type: "t5", vocab_size: 10, d_model: 8, num_layers: 3, num_heads: 2, d_ff: 12, layer_norm_epsilon: 1e-5, dropout_rate: 0.2 });
    expect([c.hiddenSize, c.numLayers, c.numHeads, c.intermediateSize, c.layerNormEps, c.hiddenDropoutProb, c.attentionDropoutProb]).toEqual([8, 3, 2, 12, 1e-5, 0.2, 0.2]);
  });
});
