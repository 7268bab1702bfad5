import { accumulateGrad, needsGrad, record } from "../autograd.js";
import { Tensor, checkShape, shapeText } from "../tensor.js";

/**
 * The non-overlapping `patch` × `patch` squares of a batch of images, one row per patch: what a
 * `Conv2d(kernel = stride = patch)` reads, so that conv(x, W) = imagePatches(x) · W_flatᵀ with W
 * (out, C, patch, patch) viewed as (out, C · patch · patch).
 * `pixels` (batch, channels, height, width) row-major → (batch · P, channels · patch · patch),
 * P = (height / patch) · (width / patch), patches in row-major (y, x) order, each row ordered
 * (channel, dy, dx) like the conv weight. An input, so no gradient flows into it.
 *
 * @example imagePatches(px, 2, 3, 32, 32, 8) // (2 · 16, 192)
 */
export function imagePatches(pixels: Float32Array, batch: number, channels: number, height: number, width: number, patch: number): Tensor {
  checkShape(pixels.length === batch * channels * height * width, "imagePatches", `${pixels.length} pixel values for ${batch} × ${channels} × ${height} × ${width}`);
  checkShape(height % patch === 0 && width % patch === 0, "imagePatches", `a ${height} × ${width} image does not divide into ${patch} × ${patch} patches`);
  const [gh, gw] = [height / patch, width / patch];
  const rowLen = channels * patch * patch;
  const out = new Float32Array(batch * gh * gw * rowLen);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let py = 0; py < gh; py++) {
      for (let px = 0; px < gw; px++) {
        for (let c = 0; c < channels; c++) {
          const plane = (b * channels + c) * height;
          for (let dy = 0; dy < patch; dy++) {
            const src = (plane + py * patch + dy) * width + px * patch;
            out.set(pixels.subarray(src, src + patch), o);
            o += patch;
          }
        }
      }
    }
  }
  return new Tensor(out, [batch * gh * gw, rowLen]);
}

/**
 * `row` (H) put in front of every sequence of `x`: (B, T, H) → (B, T + 1, H), as
 * `torch.cat([row.expand(B, 1, H), x], dim=1)` (ViT's class token).
 * Backward: dx = g[:, 1:, :]; drow = Σ_b g[b, 0, :] (float64 sum).
 */
export function prependRow(x: Tensor, row: Tensor): Tensor {
  checkShape(x.shape.length === 3, "prependRow", `x must be (batch, seqLen, hidden), got ${shapeText(x.shape)}`);
  const [b, t, h] = [x.dim(0), x.dim(1), x.dim(2)];
  checkShape(row.shape.length === 1 && row.dim(0) === h, "prependRow", `row must be (${h}), got ${shapeText(row.shape)}`);
  const out = new Float32Array(b * (t + 1) * h);
  for (let i = 0; i < b; i++) {
    out.set(row.data, i * (t + 1) * h);
    out.set(x.data.subarray(i * t * h, (i + 1) * t * h), (i * (t + 1) + 1) * h);
  }
  const y = new Tensor(out, [b, t + 1, h]);
  if (!needsGrad(x, row)) return y;
  return record(y, [x, row], (g) => {
    if (x.requiresGrad) {
      const dx = new Float32Array(x.size);
      for (let i = 0; i < b; i++) dx.set(g.subarray((i * (t + 1) + 1) * h, (i + 1) * (t + 1) * h), i * t * h);
      accumulateGrad(x, dx, true);
    }
    if (row.requiresGrad) {
      const dr = new Float64Array(h);
      for (let i = 0; i < b; i++) for (let j = 0; j < h; j++) dr[j] = (dr[j] as number) + (g[i * (t + 1) * h + j] as number);
      accumulateGrad(row, dr);
    }
  });
}
