/** Index of the first element of `a` and `b` that is not bit-identical (Object.is), the shorter length when they differ in length, or -1: fast where toEqual is slow on large arrays. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
