import { endianness } from "node:os";

const LITTLE_ENDIAN = endianness() === "LE";

/**
 * int32 → int64 by writing both halves of each value through an Int32Array view (sign in the high
 * word): ~10× faster than `BigInt64Array.from(a, BigInt)`, which was ~6% of a small model's batch.
 */
export function toInt64(a: Int32Array): BigInt64Array {
  const out = new BigInt64Array(a.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i] as number);
    return out;
  }
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    words[2 * i] = v;
    words[2 * i + 1] = v >> 31;
  }
  return out;
}
