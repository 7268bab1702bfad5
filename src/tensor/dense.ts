/** The element arrays a dense matrix may hold: float32 embeddings or quantized int8 / uint8 codes. */
export type DenseData = Float32Array | Int8Array | Uint8Array;

/**
 * A row-major (rows × cols) matrix over one typed array: the result type of `encode` and the input
 * type of the similarity utilities. Cheap to pass on (no copies), `toArray()` when plain JSON is needed.
 *
 * @example
 * const m = DenseMatrix.fromRows([[1, 0], [0, 1]]); // 2 × 2, Float32Array
 * m.row(1); // Float32Array [0, 1] (a view, not a copy)
 */
export class DenseMatrix<T extends DenseData = Float32Array> {
  readonly data: T;
  readonly rows: number;
  readonly cols: number;

  constructor(data: T, rows: number, cols: number) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
      throw new RangeError(`DenseMatrix: ${data.length} elements cannot form ${rows} × ${cols}`);
    }
    this.data = data;
    this.rows = rows;
    this.cols = cols;
  }

  /** Builds a float32 matrix from equally long rows. */
  static fromRows(rows: readonly ArrayLike<number>[]): DenseMatrix<Float32Array> {
    const cols = rows[0]?.length ?? 0;
    const data = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (r.length !== cols) throw new RangeError(`DenseMatrix.fromRows: row ${i} has ${r.length} values, expected ${cols}`);
      data.set(r, i * cols);
    });
    return new DenseMatrix(data, rows.length, cols);
  }

  /** Row `i` as a view into the same buffer, shape (cols). */
  row(i: number): T {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) throw new RangeError(`row ${i} out of range [0, ${this.rows})`);
    return this.data.subarray(i * this.cols, (i + 1) * this.cols) as T;
  }

  /** Element (i, j). */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j] as number;
  }

  /** Plain nested arrays, for JSON. */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.row(i)));
    return out;
  }
}
