/**
 * A temporary file of float32 rows, for outputs that need all rows before the first is written:
 * int8 / uint8 codes, whose per-dimension ranges come from the whole input. Rows are appended
 * chunk by chunk (their column min / max tracked as `quantizeEmbeddings` computes them), then read
 * back in chunks; memory stays bounded by a chunk, disk use is rows × cols × 4 bytes.
 *
 * @example
 * const spool = await RowSpool.open(dir, cols, io);
 * await spool.append(chunk);
 * for await (const rows of spool.chunks(4096)) quantizeEmbeddings(rows, "int8", { ranges: spool.ranges() });
 * await spool.dispose();
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { SbertError } from "../errors.js";
import { writeFully } from "../io/write-fully.js";
import { DenseMatrix } from "../tensor/dense.js";
import { type CliIo, type FileHandleLike, openFileFor } from "./streams.js";
import { trackTempFile } from "./temp-files.js";

export class RowSpool {
  private rows = 0;
  private readonly mins: Float32Array;
  private readonly maxs: Float32Array;
  private disposed = false;

  private constructor(
    private readonly path: string,
    private readonly handle: FileHandleLike,
    private readonly release: () => void,
    readonly cols: number,
  ) {
    this.mins = new Float32Array(cols).fill(Infinity);
    this.maxs = new Float32Array(cols).fill(-Infinity);
  }

  /** A new spool file in `dir` for rows of `cols` values. */
  static async open(dir: string, cols: number, io: Pick<CliIo, "openFile">): Promise<RowSpool> {
    const path = join(dir, `.sbert-spool.${process.pid}.${randomBytes(4).toString("hex")}.f32`);
    const handle = await openFileFor(io)(path, "wx+").catch((e: unknown) => {
      throw new SbertError("INVALID_INPUT", `cannot create the temporary file "${path}": ${(e as Error).message}`, { cause: e });
    });
    return new RowSpool(path, handle, trackTempFile(path), cols);
  }

  /** Appends `m`'s rows (m.cols must be `cols`). */
  async append(m: DenseMatrix<Float32Array>): Promise<void> {
    const { data, cols } = m;
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!, c = i % cols;
      if (x < this.mins[c]!) this.mins[c] = x;
      if (x > this.maxs[c]!) this.maxs[c] = x;
    }
    await writeFully(this.handle, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), this.path, this.rows * this.cols * 4);
    this.rows += m.rows;
  }

  /** The per-dimension ranges of every appended row: a 2 × cols matrix (min row, max row). */
  ranges(): DenseMatrix<Float32Array> {
    const r = new Float32Array(2 * this.cols);
    r.set(this.mins, 0);
    r.set(this.maxs, this.cols);
    return new DenseMatrix(r, 2, this.cols);
  }

  /** The appended rows in order, `rowsPerChunk` at a time. */
  async *chunks(rowsPerChunk: number): AsyncGenerator<DenseMatrix<Float32Array>> {
    for (let start = 0; start < this.rows; start += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, this.rows - start);
      const bytes = new Uint8Array(n * this.cols * 4);
      for (let done = 0; done < bytes.length; ) {
        const { bytesRead } = await this.handle.read(bytes, done, bytes.length - done, start * this.cols * 4 + done);
        if (bytesRead === 0) throw new SbertError("WRITE_FAILED", `the temporary file "${this.path}" ended early; was it removed while sbert ran?`);
        done += bytesRead;
      }
      yield new DenseMatrix(new Float32Array(bytes.buffer), n, this.cols);
    }
  }

  /** Closes and removes the file (idempotent). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
    this.release();
  }
}
