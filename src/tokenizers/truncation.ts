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
