import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SbertError } from "../errors.js";
import { graphemeClusters, PrecompiledCharsmap } from "./precompiled-charsmap.js";

const json = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../test/fixtures/st-xlmr-spm-mean-dense/tokenizer.json", import.meta.url)), "utf8"),
) as { normalizer: { precompiled_charsmap: string } };
const charsmap = PrecompiledCharsmap.fromBase64(json.normalizer.precompiled_charsmap);

describe("PrecompiledCharsmap (XLM-R nmt_nfkc)", () => {
  it.each([
    ["ｈｅｌｌｏ", "hello"], // full width
    ["①②", "12"],
    ["ﬁne", "fine"],
    ["a\u3000b\u00A0c", "a b c"],
    ["tab\tnew\nline", "tab new line"],
    ["ctrl\u0001x", "ctrlx"],
    ["zw\u200Bsp", "zw sp"],
    ["plain ASCII text.", "plain ASCII text."],
    ["Café", "Café"],
    ["Cafe\u0301", "Café"], // a decomposed cluster is composed as a whole
    ["👍🏽 ok", "👍🏽 ok"],
    ["", ""],
  ])("%j → %j", (input, expected) => {
    expect(charsmap.normalize(input)).toBe(expected);
  });

  it("rejects a blob that is not a charsmap", () => {
    for (const blob of ["", "AAAA", Buffer.from([8, 0, 0, 0, 1]).toString("base64")]) {
      expect(() => PrecompiledCharsmap.fromBase64(blob)).toThrow(SbertError);
    }
  });
});

describe("graphemeClusters", () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  const reference = (text: string): [string, number][] => [...segmenter.segment(text)].map((s) => [s.segment, s.index]);

  it.each([
    ["mixed", "Café résumé naïve 我爱自然语言处理。 Emoji 😀🚀 👍🏽 👨‍👩‍👧 🇩🇪! e\u0301 한국어 ", 3000],
    ["CJK without spaces", "我爱自然语言处理日本語のテキスト", 3000],
    ["Hangul jamo", "\u1100\u1161\u11a8한\u1100한국", 3000],
    ["Thai", "สวัสดีครับ", 3000],
    ["emoji only", "😀👍🏽🚀👨‍👩‍👧", 3000],
  ])("chunked clusters equal Intl.Segmenter on the whole text (%s)", (_name, unit, length) => {
    const text = unit.repeat(Math.ceil(length / unit.length));
    expect([...graphemeClusters(segmenter, text)]).toEqual(reference(text));
  });

  it("segments a 1 MB text (Intl.Segmenter alone is quadratic)", () => {
    const text = "Café 我爱 😀👍🏽 ".repeat(80_000);
    let n = 0;
    for (const _ of graphemeClusters(segmenter, text)) n++;
    expect(n).toBe(reference("Café 我爱 😀👍🏽 ").length * 80_000);
  });
});
