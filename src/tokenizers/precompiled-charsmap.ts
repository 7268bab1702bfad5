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
    for (const { segment, index } of this.segmenter.segment(text)) {
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
