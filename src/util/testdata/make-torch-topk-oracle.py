# Writes torch-topk-oracle.json: torch CPU topk index order on tie-heavy rows (run with a CPU torch build
# on Linux/libstdc++; the committed file came from Debian bookworm's python3-torch 1.13.1).
import json, random
import torch

random.seed(1234)
cases = []


def add(vals, k, sorted_):
    t = torch.tensor(vals, dtype=torch.float32)
    _, i = torch.topk(t, k, largest=True, sorted=sorted_)
    cases.append({"row": [None if x != x else x for x in vals], "k": k, "sorted": sorted_, "indices": i.tolist()})


for _ in range(120):
    n = random.choice([1, 2, 3, 4, 5, 7, 8, 16, 17, 20, 33, 50, 64, 65, 100, 128, 200, 300])
    levels = random.choice([1, 2, 3, 5, 10, 1000])
    vals = [float(random.randrange(levels)) for _ in range(n)]
    if random.random() < 0.1 and n > 2:
        for _ in range(random.randint(1, 3)):
            vals[random.randrange(n)] = float("nan")
    k = random.randint(1, n) if random.random() < 0.7 else random.randint(1, max(1, n // 64))
    add(vals, k, random.random() < 0.5)
for n, k in [(64, 1), (128, 2), (640, 10), (300, 4)]:
    vals = [float(random.randrange(4)) for _ in range(n)]
    add(vals, k, False)
    add(vals, k, True)
json.dump(
    {"source": "torch 1.13.1 (Debian bookworm python3-torch, libstdc++ 12) torch.topk(row, k, largest=True, sorted=...) on CPU float32; null = NaN", "cases": cases},
    open("src/util/testdata/torch-topk-oracle.json", "w"),
    separators=(",", ":"),
)
