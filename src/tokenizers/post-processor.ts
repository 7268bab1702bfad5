/**
 * Special-token layout of a `tokenizer.json` `post_processor`, applied to token ids.
 *
 * Reimplements the Rust `tokenizers` post-processors (TemplateProcessing, BertProcessing,
 * RobertaProcessing, ByteLevel, Sequence, none) on ids rather than calling
 * `@huggingface/tokenizers`' `post_processor`, because that one gives RoBERTa pairs type id 1
 * (Rust: all 0), resolves template specials by token name instead of their `ids`, and cannot
 * count the special tokens without encoding.
 *
 * @example
 * const pp = parsePostProcessor(tokenizerJson.post_processor, (t) => tok.token_to_id(t));
 * pp.apply([7, 8], [9], true); // BERT: { ids: [CLS, 7, 8, SEP, 9, SEP], typeIds: [0, 0, 0, 0, 1, 1] }
 */
import { SbertError } from "../errors.js";

/** Ids and segment (token type) ids of one encoded piece. */
interface Segment {
  ids: number[];
  typeIds: number[];
}

type Piece =
  | { kind: "sequence"; which: "A" | "B"; typeId: number }
  | { kind: "special"; ids: readonly number[]; typeId: number };

/** One post-processing step: Rust's `process_encodings` (a list of segments in, a list out). */
type Step = (segments: Segment[], addSpecialTokens: boolean) => Segment[];

export class PostProcessor {
  private readonly step: Step;

  /** `step` receives `[A]` or `[A, B]` (A with type id 0, B with type id 1) and returns pieces to concatenate. */
  constructor(step: Step) {
    this.step = step;
  }

  /**
   * Adds the special tokens and segment ids around already truncated sequences.
   * @param a ids of the first text (no special tokens)
   * @param b ids of the second text, or `null` for a single text
   */
  apply(
    a: readonly number[],
    b: readonly number[] | null,
    addSpecialTokens: boolean,
  ): { ids: number[]; typeIds: number[] } {
    const segments: Segment[] = [{ ids: [...a], typeIds: new Array<number>(a.length).fill(0) }];
    if (b !== null) segments.push({ ids: [...b], typeIds: new Array<number>(b.length).fill(1) });
    const ids: number[] = [];
    const typeIds: number[] = [];
    for (const s of this.step(segments, addSpecialTokens)) {
      for (const id of s.ids) ids.push(id);
      for (const t of s.typeIds) typeIds.push(t);
    }
    return { ids, typeIds };
  }

  /** Number of special tokens added to a single text (`pair = false`) or a pair. */
  countSpecialTokens(pair: boolean): number {
    return this.apply([], pair ? [] : null, true).ids.length;
  }
}

/**
 * Parses the `post_processor` entry of tokenizer.json.
 * @param tokenToId resolves the token strings of Bert/Roberta `cls`/`sep` when their id is missing
 * @throws SbertError UNSUPPORTED_FORMAT for an unknown type, INVALID_MODEL_FILE for a malformed entry
 */
export function parsePostProcessor(
  config: unknown,
  tokenToId: (token: string) => number | undefined,
): PostProcessor {
  return new PostProcessor(parseStep(config, tokenToId));
}

const identity: Step = (segments) => segments;

function parseStep(config: unknown, tokenToId: (token: string) => number | undefined): Step {
  if (config === null || config === undefined) return identity;
  if (!isRecord(config)) throw malformed("post_processor must be an object or null");
  switch (config["type"]) {
    case "TemplateProcessing":
      return templateStep(config);
    case "BertProcessing": {
      const cls = specialPair(config["cls"], "cls", tokenToId);
      const sep = specialPair(config["sep"], "sep", tokenToId);
      return (segments, add) => {
        if (!add) return segments;
        const [a, b] = segments;
        if (a === undefined) return segments;
        const out: Segment[] = [{ ids: [cls, ...a.ids, sep], typeIds: [0, ...a.typeIds, 0] }];
        if (b !== undefined) out.push({ ids: [...b.ids, sep], typeIds: [...b.typeIds, 1] });
        return out;
      };
    }
    case "RobertaProcessing": {
      const cls = specialPair(config["cls"], "cls", tokenToId);
      const sep = specialPair(config["sep"], "sep", tokenToId);
      return (segments, add) => {
        // RoBERTa: every type id is 0, with or without special tokens.
        const zeroed = segments.map((s) => ({ ids: s.ids, typeIds: new Array<number>(s.ids.length).fill(0) }));
        if (!add) return zeroed;
        return zeroed.map((s, i) => {
          const ids = i === 0 ? [cls, ...s.ids, sep] : [sep, ...s.ids, sep];
          return { ids, typeIds: new Array<number>(ids.length).fill(0) };
        });
      };
    }
    case "ByteLevel":
      return identity; // only trims offsets, which we do not track
    case "Sequence": {
      const list = config["processors"];
      if (!Array.isArray(list)) throw malformed("Sequence post_processor needs a `processors` array");
      const steps = list.map((p) => parseStep(p, tokenToId));
      return (segments, add) => steps.reduce((acc, step) => step(acc, add), segments);
    }
    default:
      throw new SbertError(
        "UNSUPPORTED_FORMAT",
        `tokenizer.json post_processor type ${JSON.stringify(config["type"])} is not supported ` +
          "(supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)",
      );
  }
}

function templateStep(config: Record<string, unknown>): Step {
  const specials = new Map<string, readonly number[]>();
  const table = config["special_tokens"] ?? {};
  if (!isRecord(table)) throw malformed("TemplateProcessing special_tokens must be an object");
  for (const [key, value] of Object.entries(table)) {
    if (!isRecord(value) || !Array.isArray(value["ids"]) || !value["ids"].every(isNonNegativeInt)) {
      throw malformed(`TemplateProcessing special token ${JSON.stringify(key)} needs an integer \`ids\` list`);
    }
    specials.set(key, value["ids"] as number[]);
  }
  const single = parseTemplate(config["single"], "single", specials);
  const pair = parseTemplate(config["pair"], "pair", specials);
  return (segments, add) => {
    const template = segments.length >= 2 ? pair : single;
    const out: Segment[] = [];
    for (const piece of template) {
      if (piece.kind === "sequence") {
        const seg = segments[piece.which === "A" ? 0 : 1];
        if (seg !== undefined) {
          out.push({ ids: seg.ids, typeIds: new Array<number>(seg.ids.length).fill(piece.typeId) });
        }
      } else if (add) {
        out.push({ ids: [...piece.ids], typeIds: new Array<number>(piece.ids.length).fill(piece.typeId) });
      }
    }
    return out;
  };
}

function parseTemplate(value: unknown, name: string, specials: ReadonlyMap<string, readonly number[]>): Piece[] {
  if (!Array.isArray(value)) throw malformed(`TemplateProcessing \`${name}\` must be a list`);
  return value.map((item): Piece => {
    if (isRecord(item) && isRecord(item["Sequence"])) {
      const { id, type_id } = item["Sequence"];
      if ((id !== "A" && id !== "B") || !isNonNegativeInt(type_id)) {
        throw malformed(`TemplateProcessing \`${name}\` has a malformed Sequence piece`);
      }
      return { kind: "sequence", which: id, typeId: type_id };
    }
    if (isRecord(item) && isRecord(item["SpecialToken"])) {
      const { id, type_id } = item["SpecialToken"];
      const ids = typeof id === "string" ? specials.get(id) : undefined;
      if (ids === undefined || !isNonNegativeInt(type_id)) {
        throw malformed(`TemplateProcessing \`${name}\` uses special token ${JSON.stringify(id)} missing from special_tokens`);
      }
      return { kind: "special", ids, typeId: type_id };
    }
    throw malformed(`TemplateProcessing \`${name}\` has a piece that is neither Sequence nor SpecialToken`);
  });
}

/** Bert/Roberta `cls` / `sep`: `[token, id]`. */
function specialPair(value: unknown, name: string, tokenToId: (token: string) => number | undefined): number {
  if (Array.isArray(value)) {
    const [token, id] = value as unknown[];
    if (isNonNegativeInt(id)) return id;
    if (typeof token === "string") {
      const found = tokenToId(token);
      if (found !== undefined) return found;
    }
  }
  throw malformed(`post_processor \`${name}\` must be [token, id]`);
}

function malformed(message: string): SbertError {
  return new SbertError("INVALID_MODEL_FILE", `tokenizer.json: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
