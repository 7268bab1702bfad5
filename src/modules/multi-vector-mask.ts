import { join } from "node:path";
import { SbertError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TextTokenizer } from "../tokenizers/text-tokenizer.js";
import type { ExportSpec, Features, PipelineModule } from "./module.js";
import { writeModuleJson } from "./module-files.js";

/**
 * MultiVectorMask: which token embeddings of a multi-vector (ColBERT) model are scored, ported
 * from sentence-transformers 6.0, huggingface/sentence-transformers
 * `sentence_transformers/multi_vector_encoder/modules/multi_vector_mask.py`. Writes
 * `features.scoringMask` (batchSize × seqLen):
 *
 * - the tokens the encoder attended to count; for queries the query expansion positions too
 *   (they are scored although the encoder did not attend to them);
 * - for the tasks in `skiplist_tasks` (default documents; no task counts as a document), tokens
 *   whose id is a skiplist word (e.g. punctuation) are dropped;
 * - for any task but `query`, `keep_only_token_ids` (when set) keeps only those ids.
 *
 * Skiplist words are resolved to ids with the model's tokenizer once the pipeline is loaded
 * (`onModelReady`); words that are not one token of the vocabulary are dropped, as in Python.
 */
export class MultiVectorMask implements PipelineModule {
  readonly typeName = "MultiVectorMask";
  readonly skiplistWords: readonly string[];
  readonly skiplistTasks: readonly string[];
  readonly keepOnlyTokenIds: readonly number[] | undefined;
  private skipIds: ReadonlySet<number> | undefined;

  constructor(opts: { skiplistWords?: readonly string[]; skiplistTasks?: readonly string[]; keepOnlyTokenIds?: readonly number[] } = {}) {
    this.skiplistWords = opts.skiplistWords ?? [];
    this.skiplistTasks = opts.skiplistTasks ?? ["document"];
    this.keepOnlyTokenIds = opts.keepOnlyTokenIds;
  }

  /** Reads `config.json`: `skiplist_words`, `skiplist_tasks` (a string counts as a list of one), `keep_only_token_ids`. */
  static async load(dir: string): Promise<MultiVectorMask> {
    const cfg = (await readJsonObject(dir, "config.json", { optional: true })) ?? {};
    const where = join(dir, "config.json");
    const strings = (key: string): string[] | undefined => {
      const v = cfg[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v === "string") return [v];
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
      throw new SbertError("INVALID_MODEL_FILE", `${where}: ${key} must be a list of strings`);
    };
    const keep = cfg["keep_only_token_ids"];
    if (keep !== undefined && keep !== null && !(Array.isArray(keep) && keep.every((x) => Number.isInteger(x) && (x as number) >= 0))) {
      throw new SbertError("INVALID_MODEL_FILE", `${where}: keep_only_token_ids must be a list of token ids or null`);
    }
    const words = strings("skiplist_words");
    const tasks = strings("skiplist_tasks");
    return new MultiVectorMask({
      ...(words ? { skiplistWords: words } : {}),
      ...(tasks ? { skiplistTasks: tasks } : {}),
      ...(Array.isArray(keep) ? { keepOnlyTokenIds: keep as number[] } : {}),
    });
  }

  /** Resolves the skiplist words with the pipeline's tokenizer (Python's `resolve_with_tokenizer`). */
  onModelReady(input: { readonly tokenizer: TextTokenizer }): void {
    const ids = new Set<number>();
    for (const w of this.skiplistWords) {
      const id = input.tokenizer.tokenToId(w);
      if (id !== undefined) ids.add(id);
    }
    this.skipIds = ids.size > 0 ? ids : undefined;
  }

  /** The resolved skiplist ids, ascending (empty before `onModelReady` or without a skiplist). */
  skiplistTokenIds(): number[] {
    return [...(this.skipIds ?? [])].sort((a, b) => a - b);
  }

  outputDimension(): undefined {
    return undefined;
  }

  getConfigDict(): Record<string, unknown> {
    return { skiplist_words: [...this.skiplistWords], skiplist_tasks: [...this.skiplistTasks], keep_only_token_ids: this.keepOnlyTokenIds ? [...this.keepOnlyTokenIds] : null };
  }

  parameters(): ReadonlyMap<string, Tensor> {
    return new Map();
  }

  async save(dir: string): Promise<void> {
    await writeModuleJson(join(dir, "config.json"), this.getConfigDict());
  }

  /** The mask stays outside an exported graph (it needs the task and the skiplist, which the caller has). */
  exportSpec(): ExportSpec {
    return { kind: "scoring-mask" };
  }

  forward(features: Features): Features {
    const { batch, task } = features;
    const n = batch.batchSize * batch.seqLen;
    const mask = new Uint8Array(n);
    const expansion = task === "query" ? features.queryExpansionPositions : undefined;
    const skip = this.skipIds && this.skiplistTasks.includes(task ?? "document") ? this.skipIds : undefined;
    const keep = task !== "query" && this.keepOnlyTokenIds && this.keepOnlyTokenIds.length > 0 ? new Set(this.keepOnlyTokenIds) : undefined;
    for (let i = 0; i < n; i++) {
      const id = batch.inputIds[i] as number;
      let on = batch.attentionMask[i] !== 0 || (expansion !== undefined && expansion[i] === 1);
      if (on && skip?.has(id)) on = false;
      if (on && keep && !keep.has(id)) on = false;
      mask[i] = on ? 1 : 0;
    }
    return { ...features, scoringMask: mask };
  }
}
