# Transcription of sentence-transformers util/retrieval.py (semantic_search, paraphrase_mining_embeddings
# with `num_added >= max_pairs`, community_detection CPU path with `>=` in the growth loop) run on torch CPU.
# Writes retrieval-ties-oracle.json; run from the repository root with a CPU torch build (the committed file came
# from Debian bookworm's python3-torch 1.13.1). Inputs are chosen so every score is exact in float32, so the
# result depends only on the algorithms (topk tie order, heapq layout, stable sorts), not on BLAS rounding.
import json, heapq, queue, random
import numpy as np, torch

def normalize_embeddings(e): return torch.nn.functional.normalize(e, p=2, dim=-1)
def cos_sim(a, b):
    if a.dim()==1: a=a.unsqueeze(0)
    if b.dim()==1: b=b.unsqueeze(0)
    return torch.mm(normalize_embeddings(a), normalize_embeddings(b).transpose(0,1))
def dot_score(a, b):
    if a.dim()==1: a=a.unsqueeze(0)
    if b.dim()==1: b=b.unsqueeze(0)
    return torch.mm(a, b.transpose(0,1))

def semantic_search(query_embeddings, corpus_embeddings, query_chunk_size=100, corpus_chunk_size=500000, top_k=10, score_function=cos_sim):
    queries_result_list = [[] for _ in range(len(query_embeddings))]
    for query_start_idx in range(0, len(query_embeddings), query_chunk_size):
        query_end_idx = min(query_start_idx + query_chunk_size, len(query_embeddings))
        query_chunk = query_embeddings[query_start_idx:query_end_idx]
        for corpus_start_idx in range(0, len(corpus_embeddings), corpus_chunk_size):
            corpus_end_idx = min(corpus_start_idx + corpus_chunk_size, len(corpus_embeddings))
            corpus_chunk = corpus_embeddings[corpus_start_idx:corpus_end_idx]
            cos_scores = score_function(query_chunk, corpus_chunk)
            v, ix = torch.topk(cos_scores, min(top_k, len(cos_scores[0])), dim=1, largest=True, sorted=False)
            v = v.cpu().tolist(); ix = ix.cpu().tolist()
            for query_itr in range(len(cos_scores)):
                for sub_corpus_id, score in zip(ix[query_itr], v[query_itr]):
                    corpus_id = corpus_start_idx + sub_corpus_id
                    query_id = query_start_idx + query_itr
                    if len(queries_result_list[query_id]) < top_k:
                        heapq.heappush(queries_result_list[query_id], (score, corpus_id))
                    else:
                        heapq.heappushpop(queries_result_list[query_id], (score, corpus_id))
    for query_id in range(len(queries_result_list)):
        for doc_itr in range(len(queries_result_list[query_id])):
            score, corpus_id = queries_result_list[query_id][doc_itr]
            queries_result_list[query_id][doc_itr] = {"corpus_id": corpus_id, "score": score}
        queries_result_list[query_id] = sorted(queries_result_list[query_id], key=lambda x: x["score"], reverse=True)
    return queries_result_list

def paraphrase_mining_embeddings(embeddings, query_chunk_size=5000, corpus_chunk_size=100000, max_pairs=500000, top_k=100, score_function=cos_sim):
    top_k += 1
    pairs = queue.PriorityQueue(); min_score = -1; num_added = 0
    for corpus_start_idx in range(0, len(embeddings), corpus_chunk_size):
        for query_start_idx in range(0, len(embeddings), query_chunk_size):
            scores = score_function(embeddings[query_start_idx:query_start_idx+query_chunk_size], embeddings[corpus_start_idx:corpus_start_idx+corpus_chunk_size])
            v, ix = torch.topk(scores, min(top_k, len(scores[0])), dim=1, largest=True, sorted=False)
            v = v.cpu().tolist(); ix = ix.cpu().tolist()
            for query_itr in range(len(scores)):
                for top_k_idx, corpus_itr in enumerate(ix[query_itr]):
                    i = query_start_idx + query_itr; j = corpus_start_idx + corpus_itr
                    if i != j and v[query_itr][top_k_idx] > min_score:
                        pairs.put((v[query_itr][top_k_idx], i, j)); num_added += 1
                        if num_added >= max_pairs:
                            entry = pairs.get(); min_score = entry[0]
    added_pairs = set(); pairs_list = []
    while not pairs.empty():
        score, i, j = pairs.get(); sorted_i, sorted_j = sorted([i, j])
        if sorted_i != sorted_j and (sorted_i, sorted_j) not in added_pairs:
            added_pairs.add((sorted_i, sorted_j)); pairs_list.append([score, sorted_i, sorted_j])
    return sorted(pairs_list, key=lambda x: x[0], reverse=True)

def community_detection(embeddings, threshold=0.75, min_community_size=10, batch_size=1024):
    threshold = torch.tensor(threshold)
    embeddings = normalize_embeddings(embeddings)
    extracted_communities = []
    min_community_size = min(min_community_size, len(embeddings))
    sort_max_size = min(max(2 * min_community_size, 50), len(embeddings))
    for start_idx in range(0, len(embeddings), batch_size):
        cos_scores = embeddings[start_idx:start_idx + batch_size] @ embeddings.T
        top_k_values, _ = cos_scores.topk(k=min_community_size, largest=True)
        for i in range(len(top_k_values)):
            if top_k_values[i][-1] >= threshold:
                top_val_large, top_idx_large = cos_scores[i].topk(k=sort_max_size, largest=True)
                while top_val_large[-1] >= threshold and sort_max_size < len(embeddings):
                    sort_max_size = min(2 * sort_max_size, len(embeddings))
                    top_val_large, top_idx_large = cos_scores[i].topk(k=sort_max_size, largest=True)
                extracted_communities.append(top_idx_large[top_val_large >= threshold].cpu().numpy().astype(np.uint32))
    extracted_communities = sorted(extracted_communities, key=lambda x: len(x), reverse=True)
    unique_communities = []; used = np.zeros(len(embeddings), dtype=bool)
    for community in extracted_communities:
        non_overlapped_community = community[~used[community]]
        if len(non_overlapped_community) >= min_community_size:
            unique_communities.append(non_overlapped_community); used[non_overlapped_community] = True
    return [c.tolist() for c in sorted(unique_communities, key=lambda x: len(x), reverse=True)]

rng = random.Random(7)
def sparse_row(dims=16, nnz=4):
    r = [0]*dims
    for d in rng.sample(range(dims), nnz): r[d] = rng.choice([-1, 1])
    return r
def with_duplicates(base, n):
    return [list(rng.choice(base)) for _ in range(n)]

# exact-arithmetic embeddings: 4 entries of +-1 in 16 dims (norm 2), drawn from few prototypes -> many exact ties
protos = [sparse_row() for _ in range(6)]
corpus = with_duplicates(protos, 40)
queries = with_duplicates(protos, 3) + [sparse_row() for _ in range(3)]
ints = [[rng.randrange(-2, 3) for _ in range(8)] for _ in range(5)]
dot_corpus = with_duplicates(ints, 30)
dot_queries = with_duplicates(ints, 4)

T = lambda x: torch.tensor(x, dtype=torch.float32)
out = {"source": "sentence-transformers util/retrieval.py algorithms transcribed, run on torch 1.13.1 CPU (Debian bookworm); inputs chosen so every score is exact in float32",
       "corpus": corpus, "queries": queries, "dot_corpus": dot_corpus, "dot_queries": dot_queries,
       "semantic_search": [], "paraphrase_mining": [], "community_detection": []}
for fn_name, C, Q, fn in [("cos_sim", corpus, queries, cos_sim), ("dot_score", dot_corpus, dot_queries, dot_score)]:
    for top_k in (1, 3, 5, 12, 100):
        for qcs, ccs in ((100, 500000), (2, 7), (5, 3)):
            res = semantic_search(T(Q), T(C), query_chunk_size=qcs, corpus_chunk_size=ccs, top_k=top_k, score_function=fn)
            out["semantic_search"].append({"score_function": fn_name, "top_k": top_k, "query_chunk_size": qcs, "corpus_chunk_size": ccs,
                                           "hits": [[[h["corpus_id"], h["score"]] for h in hs] for hs in res]})
for fn_name, C, fn in [("cos_sim", corpus, cos_sim), ("dot_score", dot_corpus, dot_score)]:
    for top_k in (1, 2, 5, 100):
        for max_pairs in (500000, 12, 3):
            for qcs, ccs in ((5000, 100000), (4, 7)):
                res = paraphrase_mining_embeddings(T(C), query_chunk_size=qcs, corpus_chunk_size=ccs, max_pairs=max_pairs, top_k=top_k, score_function=fn)
                out["paraphrase_mining"].append({"score_function": fn_name, "top_k": top_k, "max_pairs": max_pairs, "query_chunk_size": qcs, "corpus_chunk_size": ccs, "pairs": res})
# community detection: 120 rows from 5 prototypes plus noise rows, so sort_max_size (50) must grow
cd_protos = [sparse_row() for _ in range(5)]
cd_rows = with_duplicates(cd_protos, 110) + [sparse_row() for _ in range(10)]
out["community_rows"] = cd_rows
for thr in (0.5, 0.75, 1.0):
    for mcs in (1, 2, 5, 30):
        for bs in (1024, 7):
            out["community_detection"].append({"threshold": thr, "min_community_size": mcs, "batch_size": bs,
                                               "communities": community_detection(T(cd_rows), threshold=thr, min_community_size=mcs, batch_size=bs)})
json.dump(out, open("src/util/testdata/retrieval-ties-oracle.json", "w"), separators=(",", ":"))
print(len(out["semantic_search"]), len(out["paraphrase_mining"]), len(out["community_detection"]))
