// Quick start: runs offline on a tiny model inside the repository.
// Its weights are random (a test fixture), so the numbers mean nothing — the code path is the real one.
import { SentenceTransformer, CrossEncoder, semanticSearch } from "sbert-ts";

const model = await SentenceTransformer.load("test/fixtures/st-bert-mean");
const corpus = ["A man is eating food.", "A monkey is playing drums.", "The new movie is awesome."];
const corpusEmb = await model.encode(corpus, { normalizeEmbeddings: true }); // DenseMatrix 3 × 48
const queryEmb = await model.encode(["Someone is having a meal."], { normalizeEmbeddings: true });
console.log(semanticSearch(queryEmb, corpusEmb, { topK: 2 })[0]); // [{ corpusId, score }, ...]
const reranker = await CrossEncoder.load("test/fixtures/ce-bert-1label");
console.log(await reranker.rank("Someone is having a meal.", corpus, { topK: 2 }));
