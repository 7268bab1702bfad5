/**
 * The SentencePiece `Precompiled` normalizer (XLM-R, T5, mT5, ALBERT ...), read from the
 * `precompiled_charsmap` that tokenizer.json stores in base64.
 *
 * `@huggingface/tokenizers` ignores the charsmap and approximates it with NFKC plus a few
 * replacements; this follows the Rust `tokenizers` / `spm_precompiled` algorithm instead:
 * the blob is a little-endian u32 trie size, a darts-clone double-array trie over UTF-8 bytes,
 * then NUL-terminated replacement strings. The text is walked by extended grapheme cluster;
 * a cluster shorter than 6 UTF-8 bytes is replaced by the FIRST (shortest) trie prefix match,
 * otherwise each of its code points is looked up on its own.
 *
 * @example
 * const map = PrecompiledCharsmap.fromBase64(json.normalizer.precompiled_charsmap);
 * map.normalize("ｈｅｌｌｏ\u3000world"); // "hello world"
 */
import { SbertError } from "../errors.js";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

export class PrecompiledCharsmap {
  /** Double-array units (u32). */
  private readonly units: Uint32Array;
  /** Replacement strings, NUL-terminated, indexed by trie values. */
  private readonly normalized: Uint8Array;
  private readonly cache = new Map<string, string | null>();
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

  private constructor(units: Uint32Array, normalized: Uint8Array) {
    this.units = units;
    this.normalized = normalized;
  }

  /** @throws SbertError INVALID_MODEL_FILE when the blob is not a charsmap */
  static fromBase64(base64: string): PrecompiledCharsmap {
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length < 4) throw invalid("is shorter than its header");
    const trieSize = bytes.readUInt32LE(0);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length || trieSize === 0) {
      throw invalid(`declares a trie of ${trieSize} bytes in a blob of ${bytes.length}`);
    }
    const units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < units.length; i++) units[i] = bytes.readUInt32LE(4 + 4 * i);
    const normalized = new Uint8Array(bytes.subarray(4 + trieSize));
    return new PrecompiledCharsmap(units, normalized);
  }

  /** Normalizes `text` as Rust `tokenizers`' `Precompiled::normalize` does. */
  normalize(text: string): string {
    const out: string[] = [];
    let plainStart = 0; // start of the pending run of unchanged clusters
    for (const [segment, index] of graphemeClusters(this.segmenter, text)) {
      const replaced = this.normalizeCluster(segment);
      if (replaced === null) continue;
      if (index > plainStart) out.push(text.slice(plainStart, index));
      out.push(replaced);
      plainStart = index + segment.length;
    }
    if (plainStart === 0) return text;
    if (plainStart < text.length) out.push(text.slice(plainStart));
    return out.join("");
  }

  /** The replacement of one grapheme cluster, or `null` when it stays as it is. */
  private normalizeCluster(cluster: string): string | null {
    let cached = this.cache.get(cluster);
    if (cached !== undefined) return cached;
    cached = this.computeCluster(cluster);
    if (this.cache.size < 65536) this.cache.set(cluster, cached);
    return cached;
  }

  private computeCluster(cluster: string): string | null {
    const bytes = utf8.encode(cluster);
    if (bytes.length < 6) {
      const whole = this.transform(bytes);
      if (whole !== null) return whole;
    }
    let changed = false;
    const parts: string[] = [];
    for (const ch of cluster) {
      const t = this.transform(utf8.encode(ch));
      if (t === null) {
        parts.push(ch);
      } else {
        parts.push(t);
        changed = true;
      }
    }
    return changed ? parts.join("") : null;
  }

  /** First (shortest) prefix match of `key` in the trie, decoded; `null` when none. */
  private transform(key: Uint8Array): string | null {
    const value = this.firstPrefixValue(key);
    if (value === null || value >= this.normalized.length) return null;
    let end = value;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return utf8Decoder.decode(this.normalized.subarray(value, end));
  }

  /** darts-clone `commonPrefixSearch`, stopping at the first result. */
  private firstPrefixValue(key: Uint8Array): number | null {
    const units = this.units;
    let pos = 0;
    let unit = units[pos] ?? 0;
    pos ^= offset(unit);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      unit = units[pos] ?? 0;
      if (label(unit) !== c) return null;
      pos ^= offset(unit);
      if (hasLeaf(unit)) return value(units[pos] ?? 0);
    }
    return null;
  }
}

/** Characters of at most this many UTF-16 units go to `Intl.Segmenter` in one call. */
const CHUNK = 1024;
/** A chunk is cut here even without a certain boundary (only adversarial text gets this far). */
const MAX_CHUNK = 4 * CHUNK;

/**
 * Extended grapheme clusters of `text` with their UTF-16 index.
 *
 * `Intl.Segmenter` is quadratic on long strings in Node 20 (100 kB: ~30 s), so the text is cut
 * into chunks of about `CHUNK` units at positions that are always a cluster boundary (UAX #29,
 * see `isSafeBoundary`). Text with no such position in `MAX_CHUNK` units (e.g. 4k units of
 * Devanagari without a space) is cut there anyway, which can only matter when the cut splits a
 * cluster that the charsmap maps as a whole.
 */
export function* graphemeClusters(segmenter: Intl.Segmenter, text: string): Generator<[string, number]> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + CHUNK, text.length);
    const limit = Math.min(start + MAX_CHUNK, text.length);
    while (end < limit && !isSafeBoundary(text, end)) end++;
    const chunk = start === 0 && end === text.length ? text : text.slice(start, end);
    for (const { segment, index } of segmenter.segment(chunk)) yield [segment, start + index];
    start = end;
  }
}

/**
 * True when UAX #29 always breaks before `text[i]`: the next character starts a cluster on its
 * own (ASCII printable, CJK ideograph, kana other than the voicing marks, Thai/Lao consonant,
 * Hangul syllable after a non-jamo, emoji pictograph after a non-ZWJ) and the previous one is not a Prepend character.
 */
function isSafeBoundary(text: string, i: number): boolean {
  const next = text.codePointAt(i) ?? 0;
  if (next >= 0xdc00 && next <= 0xdfff) return false; // inside a surrogate pair
  const prevUnit = text.charCodeAt(i - 1);
  const prev =
    prevUnit >= 0xdc00 && prevUnit <= 0xdfff && i >= 2 ? (text.codePointAt(i - 2) ?? prevUnit) : prevUnit;
  if (isPrepend(prev)) return false;
  if (next >= 0x20 && next <= 0x7e) return true;
  if ((next >= 0x4e00 && next <= 0x9fff) || (next >= 0x3400 && next <= 0x4dbf)) return true;
  if (next >= 0x20000 && next <= 0x3134f) return true;
  if (next >= 0x3041 && next <= 0x30ff && next !== 0x3099 && next !== 0x309a) return true;
  if ((next >= 0x0e01 && next <= 0x0e2e) || (next >= 0x0e81 && next <= 0x0eae)) return true; // Thai, Lao consonants
  if (next >= 0xac00 && next <= 0xd7a3) return !isJamo(prev);
  const pictograph =
    (next >= 0x1f300 && next <= 0x1f3fa) || (next >= 0x1f400 && next <= 0x1f6ff) || (next >= 0x1f900 && next <= 0x1f9ff);
  return pictograph && prev !== 0x200d;
}

/** Grapheme_Cluster_Break=Prepend. */
function isPrepend(c: number): boolean {
  if (c < 0x0600) return false;
  return (
    (c >= 0x0600 && c <= 0x0605) || c === 0x06dd || c === 0x070f || c === 0x0890 || c === 0x0891 ||
    c === 0x08e2 || c === 0x0d4e || c === 0x110bd || c === 0x110cd || c === 0x111c2 || c === 0x111c3 ||
    c === 0x1193f || c === 0x11941 || c === 0x11a3a || (c >= 0x11a84 && c <= 0x11a89) || c === 0x11d46 ||
    c === 0x11f02
  );
}

function isJamo(c: number): boolean {
  return (c >= 0x1100 && c <= 0x11ff) || (c >= 0xa960 && c <= 0xa97f) || (c >= 0xd7b0 && c <= 0xd7ff);
}

function hasLeaf(unit: number): boolean {
  return ((unit >>> 8) & 1) === 1;
}

function value(unit: number): number {
  return unit & 0x7fffffff;
}

function label(unit: number): number {
  return (unit & 0x800000ff) >>> 0;
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

function invalid(detail: string): SbertError {
  return new SbertError("INVALID_MODEL_FILE", `tokenizer.json: precompiled_charsmap ${detail}`);
}
