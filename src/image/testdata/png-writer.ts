/**
 * A small PNG encoder for tests: any colour type / bit depth, a chosen filter type per row, Adam7
 * interlacing, PLTE and tRNS, so that the decoder's paths can be reached with known sample values.
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "../png.js";

export interface PngSpec {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** Row-major samples, `channels` per pixel (palette: one index per pixel). */
  samples: readonly number[];
  palette?: readonly number[];
  trns?: readonly number[];
  interlace?: boolean;
  /** Filter type of every row (0..4); default 0. */
  filter?: number;
  /** Bytes of IDAT data to drop from the end (truncation). */
  truncate?: number;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function encodePng(s: PngSpec): Uint8Array {
  const ch = CHANNELS[s.colorType];
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, s.width);
  v.setUint32(4, s.height);
  ihdr.set([s.depth, s.colorType, 0, 0, s.interlace ? 1 : 0], 8);
  const passes = s.interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.max(0, Math.ceil((s.width - x0) / dx));
    const ph = Math.max(0, Math.ceil((s.height - y0) / dy));
    if (pw === 0 || ph === 0) continue;
    let prev: number[] | undefined;
    for (let y = 0; y < ph; y++) {
      const row = packRow(s, ch, pw, (x, c) => s.samples[((y0 + y * dy) * s.width + x0 + x * dx) * ch + c]!);
      raw.push(...filterRow(row, prev, Math.max(1, (ch * s.depth) >> 3), s.filter ?? 0));
      prev = row;
    }
  }
  let idat: Uint8Array = deflateSync(Uint8Array.from(raw));
  if (s.truncate) idat = idat.subarray(0, idat.length - s.truncate);
  const parts = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk("IHDR", ihdr)];
  if (s.palette) parts.push(chunk("PLTE", Uint8Array.from(s.palette)));
  if (s.trns) parts.push(chunk("tRNS", Uint8Array.from(s.trns)));
  parts.push(chunk("IDAT", idat), chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}

function packRow(s: PngSpec, ch: number, pw: number, sample: (x: number, c: number) => number): number[] {
  const out: number[] = [];
  if (s.depth >= 8) {
    for (let x = 0; x < pw; x++) for (let c = 0; c < ch; c++) {
      const val = sample(x, c);
      if (s.depth === 16) out.push(val >> 8, val & 0xff);
      else out.push(val);
    }
    return out;
  }
  const perByte = 8 / s.depth;
  for (let x = 0; x < pw; x++) {
    if (x % perByte === 0) out.push(0);
    out[out.length - 1]! |= sample(x, 0) << (8 - s.depth * (1 + (x % perByte)));
  }
  return out;
}

function filterRow(row: number[], prev: number[] | undefined, bpp: number, type: number): number[] {
  const out = [type];
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prev ? prev[i]! : 0;
    const c = prev && i >= bpp ? prev[i - bpp]! : 0;
    const p = a + b - c;
    const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const pred = [0, a, b, (a + b) >> 1, paeth][type]!;
    out.push((row[i]! - pred) & 0xff);
  }
  return out;
}

/**
 * An RGB PNG whose IHDR states `width` × `height` but whose pixel data is a few bytes: for size
 * limits, which must refuse it from the header, before anything is inflated.
 */
export function pngOfSize(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(new Uint8Array(16))), chunk("IEND", new Uint8Array(0))]);
}
