import { type PrefixCursor, type PrefixIds, growUntil } from "./bounded-prefix.js";

/**
 * Truncation lengths of Hugging Face `tokenizers` (Rust) with `TruncationStrategy::LongestFirst`,
 * direction right (see `tokenizers/src/utils/truncation.rs`).
 *
 * `budget` is `max_length` minus the special tokens the post-processor will add.
 *
 * @example
 * longestFirstLengths(30, 4, 21);   // [17, 4]: only the longer one is cut
 * longestFirstLengths(30, 30, 21);  // [10, 11]: both cut, the second gets the odd token
 * longestFirstLengths(30, null, 22); // [22, 0]
 */
export function longestFirstLengths(n1: number, n2: number | null, budget: number): [number, number] {
  if (n2 === null) return [Math.min(n1, budget), 0];
  if (n1 + n2 <= budget) return [n1, n2];
  const swap = n1 > n2;
  let short = swap ? n2 : n1;
  let long: number;
  if (short > budget) {
    long = short;
  } else {
    long = Math.max(short, budget - short);
  }
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  return swap ? [long, short] : [short, long];
}

/**
 * Characters per text up to which a pair whose texts both exceed an odd budget is grown until
 * it is known which text is longer (Rust gives that one the odd token). Past it, in both texts,
 * the longer of the two tokenized prefixes counts as the longer text: pairs of two texts of
 * more than 65,536 characters each may give their odd token to the other text than Rust would.
 */
export const PAIR_ORDER_CAP = 1 << 16;

/**
 * `longestFirstLengths` on texts that are tokenized only as far as truncation needs (see
 * bounded-prefix.ts): grows each cursor until `budget` leading ids (`budget + 1` for a pair) are
 * trusted, and for a pair whose texts both exceed an odd budget, until it is known which is longer.
 *
 * @returns the final state of each cursor and the lengths to keep, as `longestFirstLengths` of
 *   the whole texts gives them
 */
export function boundedLongestFirst(
  a: PrefixCursor,
  b: PrefixCursor | null,
  budget: number,
): { a: PrefixIds; b: PrefixIds | null; lengths: [number, number] } {
  if (b === null) {
    const sa = growUntil(a, budget);
    return { a: sa, b: null, lengths: [Math.min(sa.ids.length, budget), 0] };
  }
  let sa = growUntil(a, budget + 1);
  let sb = growUntil(b, budget + 1);
  const over = (s: PrefixIds): boolean => !s.whole || s.ids.length > budget;
  if (!(over(sa) && over(sb)) || budget % 2 === 0) {
    return { a: sa, b: sb, lengths: longestFirstLengths(sa.ids.length, sb.ids.length, budget) };
  }
  // Both texts exceed an odd budget: the longer one gets the odd token.
  for (;;) {
    const c1 = sa.ids.length;
    const c2 = sb.ids.length;
    let order: number | undefined;
    if (sa.whole && sb.whole) order = Math.sign(c1 - c2);
    else if (sa.whole && c2 > c1) order = -1;
    else if (sb.whole && c1 > c2) order = 1;
    const growA = !sa.whole && sa.end < PAIR_ORDER_CAP;
    const growB = !sb.whole && sb.end < PAIR_ORDER_CAP;
    if (order === undefined && !growA && !growB) order = Math.sign(c1 - c2);
    if (order !== undefined) {
      const x = budget + 1;
      return { a: sa, b: sb, lengths: longestFirstLengths(x + (order > 0 ? 1 : 0), x + (order < 0 ? 1 : 0), budget) };
    }
    if (growA && (!growB || c1 <= c2)) sa = a.advance();
    else sb = b.advance();
  }
}
