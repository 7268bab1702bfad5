"""Writes oracle.json: reference values for src/evaluation from scipy / scikit-learn / numpy.

Run with numpy, scipy and scikit-learn installed:  python3 make-oracle.py
Cases are random but seeded, with many ties (scores drawn from a few levels) and float32 scores
where the Python evaluators have float32 scores.
"""
import json
import os

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import average_precision_score, f1_score, matthews_corrcoef, ndcg_score

rng = np.random.default_rng(20240611)
out = {"versions": {"numpy": np.__version__, "scipy": __import__("scipy").__version__, "sklearn": __import__("sklearn").__version__}}


def f32(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32)]


# numpy's pairwise summation (np.sum / np.mean of float64), lengths around its 8 / 128 block edges.
sums = []
for n in (1, 7, 8, 9, 16, 127, 128, 129, 300, 1000):
    a = rng.random(n) * 10.0 ** rng.integers(-3, 6, n)
    sums.append({"a": a.tolist(), "sum": float(np.sum(a)), "mean": float(np.mean(a))})
out["sums"] = sums

# Correlations: gold in float64, similarities in float32 (as the evaluator passes them).
corr = []
for t in range(30):
    n = int(rng.integers(2, 150))
    levels = int(rng.integers(2, 12)) if t % 2 == 0 else 10**6
    gold = (rng.integers(0, 26, n) / 5.0).tolist() if t % 3 else rng.random(n).tolist()
    sim = np.asarray(rng.integers(0, levels, n) / levels + rng.normal(0, 0.1, n) * (t % 4 == 0), dtype=np.float32)
    corr.append({"gold": gold, "sim": f32(sim), "pearson": float(pearsonr(gold, sim)[0]), "spearman": float(spearmanr(gold, sim)[0])})
out["correlation"] = corr

# Average precision, NDCG (one query), with tied scores.
ap, ndcg = [], []
for t in range(30):
    n = int(rng.integers(2, 120))
    y = rng.integers(0, 2, n)
    if t == 0:
        y[:] = 0
    if t == 1:
        y[:] = 1
    s = np.asarray(rng.integers(0, int(rng.integers(2, 20)), n) / 7.0, dtype=np.float32)
    ap.append({"y": y.tolist(), "s": f32(s), "ap": float(average_precision_score(y, s))})
    if y.sum() == 0:
        y[0] = 1
    k = int(rng.integers(1, n + 3))
    ndcg.append({"y": y.tolist(), "s": f32(s), "k": k, "ndcg": float(ndcg_score([y], [s], k=k))})
out["average_precision"] = ap
out["ndcg"] = ndcg

# MCC and F1 averages.
cls = []
for t in range(30):
    n = int(rng.integers(1, 120))
    c = 2 if t % 2 == 0 else int(rng.integers(2, 6))
    yt, yp = rng.integers(0, c, n), rng.integers(0, c, n)
    case = {"y_true": yt.tolist(), "y_pred": yp.tolist()}
    for avg in ("macro", "micro", "weighted"):
        case["f1_" + avg] = float(f1_score(yt, yp, average=avg, zero_division=0))
    if c == 2:
        case["mcc"] = float(matthews_corrcoef(yt, yp))
    cls.append(case)
out["classification"] = cls


# Threshold searches (the evaluator's definitions, written vectorised here as an independent check).
def best_acc(scores, labels, high):
    order = np.argsort(-scores if high else scores, kind="stable")
    s, l = scores[order], labels[order]
    n = len(l)
    pos = np.cumsum(l == 1)[:-1]
    neg_left = (l == 0).sum() - np.cumsum(l == 0)[:-1]
    acc = (pos + neg_left) / n
    if n < 2 or acc.max() <= 0:
        return 0.0, -1.0
    i = int(np.argmax(acc))
    return float(acc[i]), float((s[i] + s[i + 1]) / np.float32(2))


def best_f1(scores, labels, high):
    order = np.argsort(-scores if high else scores, kind="stable")
    s, l = scores[order], labels[order]
    best = (0.0, 0.0, 0.0, 0.0)
    tot = int(labels.sum())
    correct = 0
    for i in range(len(l) - 1):
        correct += int(l[i] == 1)
        if correct:
            p, r = correct / (i + 1), correct / tot
            f = 2 * p * r / (p + r)
            if f > best[0]:
                best = (f, p, r, float((s[i] + s[i + 1]) / np.float32(2)))
    return best


thr = []
for t in range(30):
    n = int(rng.integers(1, 100))
    labels = rng.integers(0, 2, n)
    scores = np.asarray(rng.integers(0, int(rng.integers(2, 30)), n) / 9.0 - 1, dtype=np.float32)
    high = bool(t % 2)
    acc, acc_t = best_acc(scores, labels, high)
    f1, p, r, f1_t = best_f1(scores, labels, high)
    thr.append({"scores": f32(scores), "labels": labels.tolist(), "high": high, "accuracy": acc, "accuracy_threshold": acc_t,
                "f1": f1, "precision": p, "recall": r, "f1_threshold": f1_t})
out["thresholds"] = thr


# IR: a score matrix with many ties, the ranking under (-score, corpus_id) and the metrics.
def ir_case(nq, nc, ks):
    scores = np.asarray(rng.integers(0, 6, (nq, nc)) / 5.0, dtype=np.float32)
    ids = [f"d{int(v)}" for v in rng.permutation(nc * 3)[:nc]]
    rel = [sorted(set(rng.choice(ids + ["missing"], int(rng.integers(1, 6)), replace=True).tolist())) for _ in range(nq)]
    max_k = max(max(v) for v in ks.values())
    rankings = []
    for q in range(nq):
        order = sorted(range(nc), key=lambda j: (-float(scores[q, j]), ids[j]))[:max_k]
        rankings.append([ids[j] for j in order])
    m = {}
    res = {name: {} for name in ("accuracy", "precision", "recall", "ndcg", "mrr", "map")}
    for k in ks["accuracy"]:
        res["accuracy"][k] = np.mean([any(d in rel[q] for d in rankings[q][:k]) for q in range(nq)])
    for k in ks["pr"]:
        res["precision"][k] = np.mean([sum(d in rel[q] for d in rankings[q][:k]) / k for q in range(nq)])
        res["recall"][k] = np.mean([sum(d in rel[q] for d in rankings[q][:k]) / len(rel[q]) for q in range(nq)])
    for k in ks["ndcg"]:
        vals = []
        for q in range(nq):
            g = [1.0 if d in rel[q] else 0.0 for d in rankings[q][:k]]
            dcg = sum(v / np.log2(i + 2) for i, v in enumerate(g))
            idcg = sum(1 / np.log2(i + 2) for i in range(min(k, len(rel[q]))))
            vals.append(dcg / idcg)
        res["ndcg"][k] = np.mean(vals)
    for k in ks["mrr"]:
        tot = 0.0
        for q in range(nq):
            for i, d in enumerate(rankings[q][:k]):
                if d in rel[q]:
                    tot += 1.0 / (i + 1)
                    break
        res["mrr"][k] = tot / nq
    for k in ks["map"]:
        vals = []
        for q in range(nq):
            c, sp = 0, 0.0
            for i, d in enumerate(rankings[q][:k]):
                if d in rel[q]:
                    c += 1
                    sp += c / (i + 1)
            vals.append(sp / min(k, len(rel[q])))
        res["map"][k] = np.mean(vals)
    for name, by_k in res.items():
        for k, v in by_k.items():
            m[f"{name}@{k}"] = float(v)
    return {"scores": [f32(r) for r in scores], "corpus_ids": ids, "relevant": rel, "cutoffs": ks, "rankings": rankings, "metrics": m}


out["ir"] = [
    ir_case(7, 40, {"accuracy": [1, 3, 5, 10], "pr": [1, 3, 5, 10], "mrr": [10], "ndcg": [10], "map": [100]}),
    ir_case(12, 25, {"accuracy": [1, 2], "pr": [2, 4], "mrr": [3, 30], "ndcg": [1, 5, 30], "map": [4, 30]}),
]

with open(os.path.join(os.path.dirname(__file__), "oracle.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
