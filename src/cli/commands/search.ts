import { type Command, Option } from "commander";
import { VectorIndex } from "../../index/vector-index.js";
import { cosSim, dotScore, semanticSearch } from "../../util/index.js";
import { progressStream } from "../../progress.js";
import { UsageError } from "../errors.js";
import { type CliIo, type InputFormat, STDIO, checkOutputPath, readTexts, writeOutputLines } from "../io.js";
import type { EncodeInput } from "../../models/multimodal-encode.js";
import { IMAGE_INPUT_HELP, readEncodeInputs } from "../image-lines.js";
import { formatHit } from "../json-format.js";
import { type CliModelOptions, cliModelKind, loadSentenceTransformer, requirePromptName } from "../model.js";
import { cliModelId } from "./index-cmd.js";
import { searchSparse } from "./search-sparse.js";
import { TEXT_INPUT_HELP, batchSizeOption, inputFormatOption, withModelOptions, outputOption, topKOption } from "../options.js";

interface SearchCliOptions extends CliModelOptions {
  model: string;
  corpus?: string;
  index?: string;
  queries: string;
  output: string;
  inputFormat?: InputFormat;
  topK: number;
  batchSize: number;
  scoreFunction: "cos_sim" | "dot_score";
  queryPromptName?: string;
  corpusPromptName?: string;
}

/** `sbert search`: util.semantic_search over embedded queries and corpus. */
export function registerSearch(program: Command, io: CliIo): void {
  withModelOptions(program.command("search"))
    .summary("semantic search: per query one JSON list of hits")
    .description(
      "Embed --queries and --corpus with a SentenceTransformer model and run semantic search " +
        "(Python's util.semantic_search). Writes one line per query, in input order: the JSON list of " +
        "its top-k corpus hits, best first.",
    )
    .addOption(new Option("-c, --corpus <file>", 'corpus texts (.jsonl or .txt); "-" reads standard input').conflicts("index"))
    .option("--index <dir>", "search this vector index (built with `sbert index build` by the same --model) instead of embedding a --corpus")
    .requiredOption("-q, --queries <file>", 'query texts (.jsonl or .txt); "-" reads standard input')
    .addOption(outputOption())
    .addOption(inputFormatOption())
    .addOption(topKOption("hits per query", 10))
    .addOption(batchSizeOption())
    .addOption(new Option("--score-function <fn>", "similarity of query and corpus embeddings (a sparse model always scores by dot product)").choices(["cos_sim", "dot_score"]).default("cos_sim"))
    .option("--query-prompt-name <name>", "prompt (from the model config) for the queries, e.g. query")
    .option("--corpus-prompt-name <name>", "prompt (from the model config) for the corpus, e.g. document")
    .addHelpText("after", `\nOutput line: [{"corpus_id":1,"score":0.98750329},{"corpus_id":13,"score":0.98395908}]\n(corpus_id: index of the text in --corpus, from 0).\n${TEXT_INPUT_HELP}\n${IMAGE_INPUT_HELP}`)
    .action(async (opts: SearchCliOptions) => {
      if (opts.index !== undefined) return searchIndex(opts, opts.index, io);
      if (opts.corpus === undefined) throw new UsageError("pass --corpus <file> (texts to embed and search) or --index <dir> (a vector index)");
      if (opts.corpus === STDIO && opts.queries === STDIO) throw new UsageError("--corpus and --queries cannot both read standard input");
      await checkOutputPath(opts.output);
      const queries = await readEncodeInputs(opts.queries, opts.inputFormat, io);
      const corpus = await readEncodeInputs(opts.corpus, opts.inputFormat, io);
      const { dir, kind } = await cliModelKind(opts.model, opts, io);
      if (kind === "sparse-encoder") return searchSparse(dir, opts, queries, corpus, io);
      const model = await loadSentenceTransformer(opts.model, opts, io);
      requirePromptName(model, opts.queryPromptName, "--query-prompt-name");
      requirePromptName(model, opts.corpusPromptName, "--corpus-prompt-name");
      if (queries.length === 0) return writeOutputLines(opts.output, [], io);
      const encode = (texts: EncodeInput[], promptName: string | undefined) =>
        model.encode(texts, { batchSize: opts.batchSize, showProgressBar: progressStream(io), ...(promptName !== undefined ? { promptName } : {}) });
      const queryEmbeddings = await encode(queries, opts.queryPromptName);
      const corpusEmbeddings = await encode(corpus, opts.corpusPromptName);
      const hits = semanticSearch(queryEmbeddings, corpusEmbeddings, {
        topK: opts.topK,
        scoreFunction: opts.scoreFunction === "dot_score" ? dotScore : cosSim,
      });
      return writeOutputLines(opts.output, hits.map((list) => `[${list.map(formatHit).join(",")}]`), io);
    });
}

/** `sbert search --index DIR`: the queries against a persistent vector index (src/index/). */
async function searchIndex(opts: SearchCliOptions, dir: string, io: CliIo): Promise<void> {
  if (opts.scoreFunction !== "cos_sim") throw new UsageError("--index searches by cosine similarity; --score-function dot_score needs --corpus");
  if (opts.corpusPromptName !== undefined) throw new UsageError("--corpus-prompt-name applies to --corpus; an index was embedded when it was built");
  await checkOutputPath(opts.output);
  const index = await VectorIndex.open(dir);
  try {
    const queries = await readTexts(opts.queries, opts.inputFormat, io);
    const model = await loadSentenceTransformer(opts.model, opts, io);
    try {
      index.requireModel(await cliModelId(opts.model, opts.revision), model.getSentenceEmbeddingDimension());
      requirePromptName(model, opts.queryPromptName, "--query-prompt-name");
      if (queries.length === 0) return await writeOutputLines(opts.output, [], io);
      const embedded = await model.encode(queries, { batchSize: opts.batchSize, showProgressBar: progressStream(io), ...(opts.queryPromptName !== undefined ? { promptName: opts.queryPromptName } : {}) });
      const hits = await index.search(embedded, { topK: opts.topK });
      await writeOutputLines(opts.output, hits.map((list) => `[${list.map((h) => formatHit({ corpusId: h.id, score: h.score })).join(",")}]`), io);
    } finally {
      await model.dispose();
    }
  } finally {
    await index.close();
  }
}
