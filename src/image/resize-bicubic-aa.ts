/**
 * Antialiased bicubic resize of a uint8 image, bit-exact with PyTorch's CPU kernel
 * `torch.nn.functional.interpolate(x_uint8, size, mode="bicubic", antialias=True, align_corners=False)`,
 * which is what torchvision's `resize(img_uint8, size, BICUBIC, antialias=True)` runs on CPU (it keeps
 * uint8 for bicubic) and so what transformers 5's default ("torchvision" backend) CLIPImageProcessor
 * computes.
 *
 * Ported from pytorch/pytorch aten/src/ATen/native/cpu/UpSampleKernel.cpp:
 * - `upsample_bicubic2d_aa_kernel_impl` → `upsample_separable_Nd_kernel_impl<2, HelperInterpCubic>`:
 *   output shape == input shape copies; otherwise a horizontal pass (width) into a uint8 buffer, then
 *   a vertical pass (height), each skipped when that size is unchanged. (The AVX2/NEON variant,
 *   `upsample_avx_bilinear_bicubic_uint8`, uses the same int16 weights and integer sums.)
 * - `HelperInterpCubic::compute_index_ranges_int16_weights` →
 *   `HelperInterpBase::_compute_index_ranges_int16_weights` / `_compute_index_ranges_weights` /
 *   `_compute_indices_min_size_weights_aa`: the weights per output index, in double.
 * - `basic_loop_separable_1d_horizontal<uint8_t>` / `..._vertical<uint8_t>`: the integer sums.
 *
 * Constants and their sources:
 * - a = -0.5: `HelperInterpCubic::aa_filter<scalar_t, use_keys_cubic=true>` ("-0.5 for bicubic,
 *   antialiasing=true (compatibility with PIL)"); the polynomials are `cubic_convolution1/2` of
 *   aten/src/ATen/native/UpSample.h: ((a+2)x − (a+3))x² + 1 for |x| < 1, ((ax − 5a)x + 8a)x − 4a for |x| < 2.
 * - interp_size 4: `HelperInterpCubic::interp_size`; support = (4 · 0.5) · scale when scale ≥ 1, else
 *   4 · 0.5; taps = ceil(support) · 2 + 1 (`_compute_index_ranges_weights`).
 * - scale = input_size / output_size: `area_pixel_compute_scale` with align_corners=False and no scale
 *   factor (torchvision passes a size).
 * - weight precision: the largest p < 22 with trunc(0.5 + wt_max · 2^(p+1)) < 2^15; weights
 *   trunc(w · 2^p ± 0.5); sums start at 2^(p−1) and end `>> p`, clamped to 0..255.
 */

/**
 * Per-axis taps of the output indices `from .. from + count - 1`: output index `from + i` reads
 * `size[i]` input samples starting at `start[i]`.
 */
interface AxisWeights {
  readonly start: Int32Array;
  readonly size: Int32Array;
  /** (count, taps) int16 weights scaled by 2^precision. */
  readonly weights: Int16Array;
  readonly taps: number;
  readonly precision: number;
}

const A = -0.5;

function cubicAa(x: number): number {
  x = Math.abs(x);
  if (x < 1.0) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2.0) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0.0;
}

/**
 * `_compute_index_ranges_int16_weights` for HelperInterpCubic with antialias=true, align_corners=false,
 * kept for the output indices [from, from + count). The precision depends on the largest weight over
 * ALL output indices, so every index is visited; only the kept ones are stored.
 */
export function bicubicAaWeights(inSize: number, outSize: number, from = 0, count = outSize - from): AxisWeights {
  const scale = inSize / outSize;
  const support = scale >= 1.0 ? 4 * 0.5 * scale : 4 * 0.5;
  const taps = Math.ceil(support) * 2 + 1;
  const invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  const start = new Int32Array(count);
  const size = new Int32Array(count);
  const wf = new Float64Array(count * taps);
  const tmp = new Float64Array(taps);
  let wtMax = 0.0;
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    let xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    xsize = Math.min(Math.max(xsize, 0), taps);
    let total = 0.0;
    for (let j = 0; j < xsize; j++) {
      const w = cubicAa((j + xmin - center + 0.5) * invscale);
      tmp[j] = w;
      total += w;
    }
    if (total !== 0.0) {
      for (let j = 0; j < xsize; j++) {
        tmp[j]! /= total;
        wtMax = Math.max(wtMax, tmp[j]!);
      }
    }
    const k = i - from;
    if (k >= 0 && k < count) {
      start[k] = xmin;
      size[k] = xsize;
      wf.set(tmp.subarray(0, xsize), k * taps);
    }
  }
  let precision = 0;
  for (precision = 0; precision < 22; ++precision) {
    const next = Math.trunc(0.5 + wtMax * 2 ** (precision + 1));
    if (next >= 1 << 15) break;
  }
  const weights = new Int16Array(count * taps);
  for (let k = 0; k < wf.length; k++) {
    const v = wf[k]! * 2 ** precision;
    weights[k] = v < 0 ? Math.trunc(-0.5 + v) : Math.trunc(0.5 + v);
  }
  return { start, size, weights, taps, precision };
}

/** Rows [top, top + height) and columns [left, left + width) of the resized image. */
export interface ResizeWindow {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Resizes a channels-first uint8 image (channels, inH, inW) to (channels, outH, outW), or only the
 * `window` of that result (the same values: each output pixel depends on its own taps only), so that a
 * center crop of an extreme aspect ratio never materialises the whole resized image.
 *
 * @returns (channels, window.height, window.width) uint8
 * @example
 * resizeBicubicAaChw(chw, 3, 48, 64, 32, 42); // Uint8Array of 3 * 32 * 42
 * resizeBicubicAaChw(chw, 3, 48, 64, 32, 42, { top: 0, left: 5, height: 32, width: 32 }); // its center 32 x 32
 */
export function resizeBicubicAaChw(
  src: Uint8Array, channels: number, inH: number, inW: number, outH: number, outW: number,
  window: ResizeWindow = { top: 0, left: 0, height: outH, width: outW },
): Uint8Array {
  const { top, left, height, width } = window;
  if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > outH || left + width > outW) {
    throw new RangeError(`resize window ${JSON.stringify(window)} is outside ${outH}x${outW}`);
  }
  // Horizontal pass (skipped when the width is unchanged: then the window's columns are copied).
  const cols = outW !== inW
    ? horizontal(src, channels * inH, inW, bicubicAaWeights(inW, outW, left, width))
    : sliceColumns(src, channels * inH, inW, left, width);
  // Vertical pass (skipped when the height is unchanged).
  if (outH !== inH) return vertical(cols, channels, inH, width, bicubicAaWeights(inH, outH, top, height));
  return top === 0 && height === inH ? cols : sliceRows(cols, channels, inH, width, top, height);
}

/** `basic_loop_separable_1d_horizontal<uint8_t>` over `rows` rows of `inW` pixels. */
function horizontal(src: Uint8Array, rows: number, inW: number, w: AxisWeights): Uint8Array {
  const outW = w.start.length;
  const out = new Uint8Array(rows * outW);
  const half = 1 << (w.precision - 1);
  for (let r = 0; r < rows; r++) {
    const row = r * inW;
    for (let x = 0; x < outW; x++) {
      const s = row + w.start[x]!;
      const k = x * w.taps;
      let acc = half;
      for (let j = 0; j < w.size[x]!; j++) acc += src[s + j]! * w.weights[k + j]!;
      out[r * outW + x] = clamp255(acc >> w.precision);
    }
  }
  return out;
}

/** `basic_loop_separable_1d_vertical<uint8_t>`: each output row mixes input rows of the same plane. */
function vertical(src: Uint8Array, channels: number, inH: number, width: number, w: AxisWeights): Uint8Array {
  const outH = w.start.length;
  const out = new Uint8Array(channels * outH * width);
  const half = 1 << (w.precision - 1);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * width;
    for (let y = 0; y < outH; y++) {
      const k = y * w.taps;
      const s = plane + w.start[y]! * width;
      const o = (c * outH + y) * width;
      for (let x = 0; x < width; x++) {
        let acc = half;
        for (let j = 0; j < w.size[y]!; j++) acc += src[s + j * width + x]! * w.weights[k + j]!;
        out[o + x] = clamp255(acc >> w.precision);
      }
    }
  }
  return out;
}

function sliceColumns(src: Uint8Array, rows: number, inW: number, left: number, width: number): Uint8Array {
  if (left === 0 && width === inW) return src.slice();
  const out = new Uint8Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * inW + left, r * inW + left + width), r * width);
  return out;
}

function sliceRows(src: Uint8Array, channels: number, inH: number, width: number, top: number, height: number): Uint8Array {
  const out = new Uint8Array(channels * height * width);
  for (let c = 0; c < channels; c++) out.set(src.subarray((c * inH + top) * width, (c * inH + top + height) * width), c * height * width);
  return out;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
