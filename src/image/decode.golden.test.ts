/**
 * Decoding vs Pillow, exactly: for every file of test/fixtures/image-decode-pillow (30 PNGs: each colour
 * type x bit depth, tRNS, Adam7; 24 JPEGs written by Pillow: 4:4:4 / 4:2:2 / 4:2:0, progressive,
 * grayscale, odd sizes), the RGB bytes of `loadImage` have the SHA-256 of Pillow's
 * `Image.open(f).convert("RGB").tobytes()` (Pillow 9.4.0 with libjpeg-turbo 2.1.5; see make_goldens.py).
 * Pillow's mode names for 16-bit gray differ between versions ("I" in 9.4, "I;16" since 10), the values do not.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadImage } from "./load-image.js";

const DIR = fileURLToPath(new URL("../../test/fixtures/image-decode-pillow/", import.meta.url));
const golden = JSON.parse(readFileSync(join(DIR, "golden.json"), "utf8")) as {
  files: Record<string, { mode: string; width: number; height: number; rgb_sha256: string }>;
};
const MODE_ALIASES: Record<string, string> = { I: "I;16" };

describe("PNG and JPEG decoding equals Pillow's convert('RGB')", () => {
  it("covers 30 PNGs and 24 JPEGs", () => {
    const names = Object.keys(golden.files);
    expect(names.filter((n) => n.startsWith("png/")).length).toBe(30);
    expect(names.filter((n) => n.startsWith("jpeg/")).length).toBe(24);
  });

  for (const [name, g] of Object.entries(golden.files)) {
    it(`${name} (Pillow mode ${g.mode})`, async () => {
      const img = await loadImage(join(DIR, name));
      expect([img.width, img.height]).toEqual([g.width, g.height]);
      expect(img.sourceMode).toBe(MODE_ALIASES[g.mode] ?? g.mode);
      expect(createHash("sha256").update(img.data).digest("hex")).toBe(g.rgb_sha256);
    });
  }
});
