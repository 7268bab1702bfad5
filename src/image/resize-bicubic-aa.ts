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

/** Per-axis taps: for output index i, `size[i]` weights starting at input index `start[i]`. */
interface AxisWeights {
  readonly start: Int32Array;
  readonly size: Int32Array;
  /** (out, taps) int16 weights scaled by 2^precision. */
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

/** `_compute_index_ranges_int16_weights` for HelperInterpCubic with antialias=true, align_corners=false. */
export function bicubicAaWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = scale >= 1.0 ? 4 * 0.5 * scale : 4 * 0.5;
  const taps = Math.ceil(support) * 2 + 1;
  const invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  const start = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const wf = new Float64Array(outSize * taps);
  let wtMax = 0.0;
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    let xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    xsize = Math.min(Math.max(xsize, 0), taps);
    let total = 0.0;
    for (let j = 0; j < xsize; j++) {
      const w = cubicAa((j + xmin - center + 0.5) * invscale);
      wf[i * taps + j] = w;
      total += w;
    }
    if (total !== 0.0) {
      for (let j = 0; j < xsize; j++) {
        wf[i * taps + j]! /= total;
        wtMax = Math.max(wtMax, wf[i * taps + j]!);
      }
    }
    start[i] = xmin;
    size[i] = xsize;
  }
  let precision = 0;
  for (precision = 0; precision < 22; ++precision) {
    const next = Math.trunc(0.5 + wtMax * 2 ** (precision + 1));
    if (next >= 1 << 15) break;
  }
  const weights = new Int16Array(outSize * taps);
  for (let k = 0; k < wf.length; k++) {
    const v = wf[k]! * 2 ** precision;
    weights[k] = v < 0 ? Math.trunc(-0.5 + v) : Math.trunc(0.5 + v);
  }
  return { start, size, weights, taps, precision };
}

/**
 * Resizes a channels-first uint8 image (channels, inH, inW) to (channels, outH, outW).
 *
 * @example
 * resizeBicubicAaChw(chw, 3, 48, 64, 32, 42); // Uint8Array of 3 * 32 * 42
 */
export function resizeBicubicAaChw(src: Uint8Array, channels: number, inH: number, inW: number, outH: number, outW: number): Uint8Array {
  if (inH === outH && inW === outW) return src.slice();
  let cur = src;
  if (outW !== inW) cur = horizontal(cur, channels * inH, inW, outW, bicubicAaWeights(inW, outW));
  if (outH !== inH) cur = vertical(cur, channels, inH, outW, outH, bicubicAaWeights(inH, outH));
  return cur;
}

/** `basic_loop_separable_1d_horizontal<uint8_t>` over `rows` rows of `inW` pixels. */
function horizontal(src: Uint8Array, rows: number, inW: number, outW: number, w: AxisWeights): Uint8Array {
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
function vertical(src: Uint8Array, channels: number, inH: number, width: number, outH: number, w: AxisWeights): Uint8Array {
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

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
