import { constants as zlibConstants, inflateSync } from "node:zlib";
import { SbertError } from "../errors.js";
import { MAX_IMAGE_PIXELS, type RgbImage, checkImageSize } from "./rgb-image.js";

/**
 * PNG → the RGB image Pillow gives for `Image.open(path).convert("RGB")`.
 *
 * Why not a library: PNG is lossless and fully specified (ISO/IEC 15948), so a decoder is exact by
 * construction; what must match Python is Pillow's conversion to 8-bit RGB, which a general decoder
 * does differently. pngjs 7.0.0 (the pure-JS candidate) zeroes the RGB of pixels that match a `tRNS`
 * colour and rescales 16-bit samples with rounding, where Pillow keeps the colour and takes the high
 * byte (or, for 16-bit grayscale "I;16", clamps to 255); sharp/libvips applies its own 16→8 and
 * colour handling. Inflate is node:zlib. Pillow's rules (src/PIL/PngImagePlugin.py `_MODES`,
 * src/libImaging/Unpack.c, src/libImaging/Convert.c):
 *
 * | colour type, depth        | Pillow mode (raw mode) | convert("RGB")                               |
 * |---------------------------|------------------------|----------------------------------------------|
 * | 0 gray, 1 / 2 / 4 / 8     | "1" / "L" (L;2, L;4)   | v * 255 / (2^depth - 1), replicated           |
 * | 0 gray, 16                | "I;16" (I;16B)         | min(v, 255) replicated (I16 → RGB clamps)     |
 * | 2 RGB, 8 / 16             | "RGB" (RGB;16B)        | the sample (16-bit: high byte)               |
 * | 3 palette, 1 / 2 / 4 / 8  | "P"                    | palette colour; tRNS alpha dropped           |
 * | 4 gray+alpha, 8 / 16      | "LA" / "RGBA" (LA;16B) | gray (16-bit: high byte) replicated; alpha dropped |
 * | 6 RGBA, 8 / 16            | "RGBA" (RGBA;16B)      | RGB (16-bit: high bytes); alpha dropped, no compositing |
 *
 * `tRNS` never changes a colour. Corrupt files (bad signature, CRC, chunk order, truncated or
 * oversized data, bad filter type, palette index past the palette) throw `INVALID_INPUT`.
 */
export function decodePng(bytes: Uint8Array, opts: { maxPixels?: number; what?: string } = {}): RgbImage {
  const what = opts.what ?? "PNG image";
  const bad = (msg: string): SbertError => new SbertError("INVALID_INPUT", `${what}: corrupt PNG (${msg})`);
  if (!isPng(bytes)) throw bad("no PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let pos = 8;
  let ended = false;
  while (!ended) {
    if (pos + 12 > bytes.length) throw bad("truncated before IEND");
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    if (len > 0x7fffffff || pos + 12 + len > bytes.length) throw bad(`chunk ${JSON.stringify(type)} runs past the end of the file`);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== view.getUint32(pos + 8 + len)) throw bad(`CRC mismatch in chunk ${JSON.stringify(type)}`);
    pos += 12 + len;
    if (header === undefined && type !== "IHDR") throw bad("first chunk is not IHDR");
    switch (type) {
      case "IHDR":
        if (header !== undefined) throw bad("second IHDR");
        header = readHeader(data, bad);
        checkImageSize(header.width, header.height, opts.maxPixels ?? MAX_IMAGE_PIXELS, what);
        break;
      case "PLTE":
        if (len % 3 !== 0 || len === 0 || len > 768) throw bad(`PLTE of ${len} bytes`);
        palette = data;
        break;
      case "IDAT":
        idat.push(data);
        break;
      case "IEND":
        ended = true;
        break;
      default:
        // Ancillary chunks (tRNS, gAMA, iCCP, ...) do not change the pixels Pillow returns; an unknown critical
        // chunk (uppercase first letter) is an image this decoder cannot read correctly.
        if (type.charCodeAt(0) < 97) throw new SbertError("UNSUPPORTED_FORMAT", `${what}: PNG critical chunk ${JSON.stringify(type)} is not supported`);
    }
  }
  const h = header!;
  if (h.colorType === 3 && palette === undefined) throw bad("palette image without PLTE");
  if (idat.length === 0) throw bad("no IDAT");

  const passes = h.interlace ? ADAM7.map((p) => passSize(h, p)) : [passSize(h, [0, 0, 1, 1])];
  const expected = passes.reduce((n, p) => n + (p.w > 0 ? p.h * (1 + p.rowBytes) : 0), 0);
  let raw: Buffer;
  try {
    // Z_SYNC_FLUSH: a stream cut after the last row (no end block / Adler-32) still decodes, as in Pillow,
    // which stops reading once every row is complete; rows that are missing are refused below.
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: Math.max(expected, 1), finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (e) {
    throw bad(`image data does not inflate to ${expected} bytes: ${(e as Error).message}`);
  }
  if (raw.length < expected) throw bad(`image data is truncated: ${raw.length} of ${expected} bytes`);

  const out = new Uint8Array(h.width * h.height * 3);
  const put = pixelWriter(h, palette, out, bad);
  let off = 0;
  for (const p of passes) {
    if (p.w === 0) continue;
    const rows = unfilter(raw.subarray(off, off + p.h * (1 + p.rowBytes)), p.h, p.rowBytes, h.bytesPerPixel, bad);
    off += p.h * (1 + p.rowBytes);
    if (!h.interlace && h.depth === 8 && (h.colorType === 2 || h.colorType === 6)) {
      copyRgb8(rows, out, h.width * h.height, h.channels); // the common case, without a call per pixel
      continue;
    }
    for (let y = 0; y < p.h; y++) {
      const row = rows.subarray(y * p.rowBytes, (y + 1) * p.rowBytes);
      for (let x = 0; x < p.w; x++) put(row, x, (p.y0 + y * p.dy) * h.width + p.x0 + x * p.dx);
    }
  }
  return { width: h.width, height: h.height, data: out, sourceMode: pillowMode(h) };
}

/** Pillow's mode for a PNG header (src/PIL/PngImagePlugin.py `_MODES`). */
function pillowMode(h: Header): string {
  if (h.colorType === 0) return h.depth === 1 ? "1" : h.depth === 16 ? "I;16" : "L";
  if (h.colorType === 4) return h.depth === 16 ? "RGBA" : "LA"; // (16, 4): ("RGBA", "LA;16B"), no LA;16B → LA unpacker
  return { 2: "RGB", 3: "P", 6: "RGBA" }[h.colorType]!;
}

/** True when `bytes` starts with the 8-byte PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Adam7 passes as [x0, y0, dx, dy] (PNG spec, section 8.2). */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

/** Allowed bit depths per colour type (PNG spec, table 11.1). */
const DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: boolean;
  channels: number;
  /** Filter unit: bytes per complete pixel, at least 1. */
  bytesPerPixel: number;
}

function readHeader(d: Uint8Array, bad: (m: string) => SbertError): Header {
  if (d.length !== 13) throw bad(`IHDR of ${d.length} bytes`);
  const v = new DataView(d.buffer, d.byteOffset, 13);
  const width = v.getUint32(0);
  const height = v.getUint32(4);
  const [depth, colorType, compression, filter, interlace] = [d[8]!, d[9]!, d[10]!, d[11]!, d[12]!];
  if (!(DEPTHS[colorType] ?? []).includes(depth)) throw bad(`colour type ${colorType} with bit depth ${depth}`);
  if (compression !== 0 || filter !== 0 || interlace > 1) throw bad("unknown compression, filter or interlace method");
  const channels = CHANNELS[colorType]!;
  return { width, height, depth, colorType, interlace: interlace === 1, channels, bytesPerPixel: Math.max(1, (channels * depth) >> 3) };
}

function passSize(h: Header, [x0, y0, dx, dy]: readonly number[]): { w: number; h: number; rowBytes: number; x0: number; y0: number; dx: number; dy: number } {
  const w = Math.max(0, Math.ceil((h.width - x0!) / dx!));
  const ph = Math.max(0, Math.ceil((h.height - y0!) / dy!));
  return { w, h: w === 0 ? 0 : ph, rowBytes: Math.ceil((w * h.channels * h.depth) / 8), x0: x0!, y0: y0!, dx: dx!, dy: dy! };
}

/** Reverses the per-row filters (PNG spec, section 9); returns the rows without their filter bytes. */
function unfilter(src: Uint8Array, rows: number, rowBytes: number, bpp: number, bad: (m: string) => SbertError): Uint8Array {
  const out = new Uint8Array(rows * rowBytes);
  for (let y = 0; y < rows; y++) {
    const type = src[y * (rowBytes + 1)]!;
    const inp = y * (rowBytes + 1) + 1;
    const o = y * rowBytes;
    const up = o - rowBytes; // previous row; absent (zeros) for y = 0
    switch (type) {
      case 0:
        out.set(src.subarray(inp, inp + rowBytes), o);
        break;
      case 1:
        for (let i = 0; i < rowBytes; i++) out[o + i] = (src[inp + i]! + (i >= bpp ? out[o + i - bpp]! : 0)) & 0xff;
        break;
      case 2:
        if (y === 0) out.set(src.subarray(inp, inp + rowBytes), o);
        else for (let i = 0; i < rowBytes; i++) out[o + i] = (src[inp + i]! + out[up + i]!) & 0xff;
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? out[o + i - bpp]! : 0;
          const b = y > 0 ? out[up + i]! : 0;
          out[o + i] = (src[inp + i]! + ((a + b) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? out[o + i - bpp]! : 0;
          const b = y > 0 ? out[up + i]! : 0;
          const c = y > 0 && i >= bpp ? out[up + i - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          out[o + i] = (src[inp + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
        }
        break;
      default:
        throw bad(`filter type ${type} in row ${y}`);
    }
  }
  return out;
}

/** Writes pixel `x` of an unfiltered row to `out[dst * 3 ..]` as Pillow's convert("RGB") gives it (table above). */
function pixelWriter(h: Header, palette: Uint8Array | undefined, out: Uint8Array, bad: (m: string) => SbertError): (row: Uint8Array, x: number, dst: number) => void {
  const { depth, colorType, channels } = h;
  if (depth < 8) {
    const perByte = 8 / depth;
    const mask = (1 << depth) - 1;
    const gain = 255 / mask; // 255, 85, 17: exact
    return (row, x, dst) => {
      const v = (row[Math.floor(x / perByte)]! >> (8 - depth * (1 + (x % perByte)))) & mask;
      if (colorType === 3) writePalette(palette!, v, out, dst, bad);
      else out[dst * 3] = out[dst * 3 + 1] = out[dst * 3 + 2] = v * gain;
    };
  }
  const bytes = depth >> 3; // 1 or 2; for 16 bits index 0 is the high byte
  const stride = channels * bytes;
  if (colorType === 3) return (row, x, dst) => writePalette(palette!, row[x]!, out, dst, bad);
  if (colorType === 0 && depth === 16) {
    return (row, x, dst) => {
      const hi = row[x * 2]!, lo = row[x * 2 + 1]!;
      out[dst * 3] = out[dst * 3 + 1] = out[dst * 3 + 2] = hi !== 0 ? 255 : lo;
    };
  }
  if (colorType === 0 || colorType === 4) {
    return (row, x, dst) => {
      out[dst * 3] = out[dst * 3 + 1] = out[dst * 3 + 2] = row[x * stride]!;
    };
  }
  return (row, x, dst) => {
    out[dst * 3] = row[x * stride]!;
    out[dst * 3 + 1] = row[x * stride + bytes]!;
    out[dst * 3 + 2] = row[x * stride + 2 * bytes]!;
  };
}

/** 8-bit RGB / RGBA samples → RGB (alpha dropped). */
function copyRgb8(src: Uint8Array, out: Uint8Array, pixels: number, channels: number): void {
  if (channels === 3) {
    out.set(src.subarray(0, pixels * 3));
    return;
  }
  for (let i = 0, s = 0; i < pixels * 3; i += 3, s += channels) {
    out[i] = src[s]!;
    out[i + 1] = src[s + 1]!;
    out[i + 2] = src[s + 2]!;
  }
}

function writePalette(palette: Uint8Array, index: number, out: Uint8Array, dst: number, bad: (m: string) => SbertError): void {
  if (index * 3 + 2 >= palette.length) throw bad(`palette index ${index} past the ${palette.length / 3}-colour palette`);
  out[dst * 3] = palette[index * 3]!;
  out[dst * 3 + 1] = palette[index * 3 + 1]!;
  out[dst * 3 + 2] = palette[index * 3 + 2]!;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of the PNG spec (annex D), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
