import { describe, expect, it } from "vitest";
import { gradCheck } from "../tensor/gradcheck.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { CoSENTLoss, CosineSimilarityLoss } from "./cosine-similarity.js";
import { BinaryCrossEntropyLoss, CrossEntropyLoss } from "./cross-encoder.js";
import { ContrastiveLoss, TripletLoss } from "./distance.js";
import { type EmbeddingLoss, labelTensor } from "./loss.js";
import { MatryoshkaLoss } from "./matryoshka.js";
import { MSELoss } from "./mse.js";
import { MultipleNegativesRankingLoss } from "./multiple-negatives-ranking.js";
import { EMBEDDING_LOSS_NAMES, createEmbeddingLoss, createLogitsLoss } from "./registry.js";
import { SoftmaxLoss } from "./softmax.js";

/**
 * Every loss against an independent float64 transcription of its Python definition (within 1e-5:
 * the loss is computed in float64 from float32 inputs and rounded once), plus a finite-difference
 * check of its gradient with respect to the embeddings (see ops/gradients.test.ts for the budget).
 */
let seed = 100;
function emb(rows: number, cols: number): Tensor {
  const rng = new Rng(seed++);
  const t = new Tensor(Float32Array.from({ length: rows * cols }, () => rng.uniform(-1, 1)), [rows, cols]);
  t.requiresGrad = true;
  return t;
}
const rowsOf = (t: Tensor): number[][] => t.toNested() as number[][];
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
const norm = (a: number[]): number => Math.sqrt(dot(a, a));
const cos = (a: number[], b: number[]): number => dot(a, b) / (norm(a) * norm(b));
const lse = (xs: number[]): number => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};
const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** `extra`: the loss's own parameters, checked along with the embedding columns. */
function checkGrad(loss: EmbeddingLoss, cols: Tensor[], labels?: Tensor, extra: Tensor[] = []): void {
  const r = gradCheck((xs) => loss.computeLossFromEmbeddings(xs.slice(0, cols.length), labels), [...cols, ...extra], 3e-3);
  expect(r.maxAbsError).toBeLessThanOrEqual(1e-3 * Math.max(1, r.maxAbsGrad));
}

describe("SoftmaxLoss", () => {
  it("cross-entropy of the classifier over (u, v, |u − v|, u ⊙ v) when all options are on", () => {
    const [u, v] = [emb(3, 4), emb(3, 4)];
    const loss = new SoftmaxLoss({ embeddingDimension: 4, numLabels: 3, concatenationSentMultiplication: true, rng: new Rng(5) });
    expect(loss.classifier.weight.shape).toEqual([3, 16]);
    const y = [2, 0, 1];
    const W = rowsOf(loss.classifier.weight);
    const b = Array.from(loss.classifier.bias.data);
    const want = avg(
      rowsOf(u).map((ur, r) => {
        const vr = rowsOf(v)[r] as number[];
        const f = [...ur, ...vr, ...ur.map((x, i) => Math.abs(x - (vr[i] as number))), ...ur.map((x, i) => x * (vr[i] as number))];
        const logits = W.map((w, c) => dot(w, f) + (b[c] as number));
        return lse(logits) - (logits[y[r] as number] as number);
      }),
    );
    expect(loss.computeLossFromEmbeddings([u, v], labelTensor(y)).data[0]).toBeCloseTo(want, 5);
    checkGrad(loss, [u, v], labelTensor(y), [loss.classifier.weight, loss.classifier.bias]);
    expect(loss.parameters().map((p) => p.name)).toEqual(["classifier.weight", "classifier.bias"]);
  });

  it("refuses labels outside 0..numLabels-1 and a wrongly sized classifier file", () => {
    const loss = new SoftmaxLoss({ embeddingDimension: 2, numLabels: 3 });
    expect(() => loss.computeLossFromEmbeddings([emb(2, 2), emb(2, 2)], labelTensor([0, 3]))).toThrowError(/not a class/);
    expect(() => loss.loadClassifier(new Map([["classifier.weight", Tensor.zeros([3, 5])], ["classifier.bias", Tensor.zeros([3])]]))).toThrowError(/shape/);
  });
});

describe("CosineSimilarityLoss and CoSENTLoss", () => {
  it("CosineSimilarityLoss = mean((cos − label)²)", () => {
    const [u, v] = [emb(4, 5), emb(4, 5)];
    const y = [0.1, 0.9, 0.5, 0];
    const want = avg(rowsOf(u).map((ur, r) => (cos(ur, rowsOf(v)[r] as number[]) - (y[r] as number)) ** 2));
    const loss = new CosineSimilarityLoss();
    expect(loss.computeLossFromEmbeddings([u, v], labelTensor(y)).data[0]).toBeCloseTo(want, 6);
    checkGrad(loss, [u, v], labelTensor(y));
  });

  it("CoSENTLoss equals Python's sort / logcumsumexp formulation (ties excluded)", () => {
    const [u, v] = [emb(6, 4), emb(6, 4)];
    const y = [0.2, 0.8, 0.2, 1, 0.5, 0.8];
    const s = rowsOf(u).map((ur, r) => 20 * cos(ur, rowsOf(v)[r] as number[]));
    // labels sorted; each score plus logsumexp(−score) over strictly higher labels; then lse with 0
    const order = y.map((_, i) => i).sort((a, b) => (y[a] as number) - (y[b] as number));
    const terms = order.flatMap((i) => {
      const higher = order.filter((j) => (y[j] as number) > (y[i] as number)).map((j) => -(s[j] as number));
      return higher.length ? [(s[i] as number) + lse(higher)] : [];
    });
    const loss = new CoSENTLoss();
    expect(loss.computeLossFromEmbeddings([u, v], labelTensor(y)).data[0]).toBeCloseTo(lse([0, ...terms]), 4);
    checkGrad(new CoSENTLoss({ scale: 2 }), [u, v], labelTensor(y));
  });
});

describe("MultipleNegativesRankingLoss", () => {
  const sim = (a: Tensor, b: Tensor): number[][] => rowsOf(a).map((ar) => rowsOf(b).map((br) => 20 * cos(ar, br)));

  it("cross-entropy over anchors × (positives, hard negatives) with the diagonal as target", () => {
    const [q, p, n] = [emb(4, 6), emb(4, 6), emb(4, 6)];
    const sp = sim(q, p);
    const sn = sim(q, n);
    const want = avg(sp.map((row, i) => lse([...row, ...(sn[i] as number[])]) - (row[i] as number)));
    const loss = new MultipleNegativesRankingLoss();
    expect(loss.computeLossFromEmbeddings([q, p, n]).data[0]).toBeCloseTo(want, 5);
    checkGrad(new MultipleNegativesRankingLoss({ scale: 2 }), [q, p, n]);
  });

  it("symmetric per_direction averages query→doc and doc→query", () => {
    const [q, d] = [emb(3, 5), emb(3, 5)];
    const s = sim(q, d);
    const q2d = avg(s.map((row, i) => lse(row) - (row[i] as number)));
    const d2q = avg(s.map((_, i) => lse(s.map((row) => row[i] as number)) - (s[i]?.[i] as number)));
    const loss = new MultipleNegativesRankingLoss({ directions: ["query_to_doc", "doc_to_query"], partitionMode: "per_direction" });
    expect(loss.computeLossFromEmbeddings([q, d]).data[0]).toBeCloseTo((q2d + d2q) / 2, 5);
  });

  it("GTE joint mode leaves out q_i·q_i and d_i·d_i", () => {
    const [q, d] = [emb(3, 5), emb(3, 5)];
    const [qd, qq, dd] = [sim(q, d), sim(q, q), sim(d, d)];
    const want = avg(
      qd.map((row, i) => {
        const others = (m: number[][]): number[] => (m[i] as number[]).filter((_, j) => j !== i);
        const dq = qd.map((r) => r[i] as number);
        return lse([...row, ...others(qq), ...dq, ...others(dd)]) - (row[i] as number);
      }),
    );
    const loss = new MultipleNegativesRankingLoss({ directions: ["query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"] });
    expect(loss.computeLossFromEmbeddings([q, d]).data[0]).toBeCloseTo(want, 5);
    checkGrad(new MultipleNegativesRankingLoss({ scale: 2, directions: ["query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"] }), [q, d]);
  });

  it("hard_negatives hardness adds strength · cos to the own hard negatives only", () => {
    const [q, p, n] = [emb(3, 4), emb(3, 4), emb(3, 4)];
    const [sp, sn] = [sim(q, p), sim(q, n)];
    const want = avg(sp.map((row, i) => lse([...row, ...(sn[i] as number[]).map((x, j) => (j === i ? x + (5 * x) / 20 : x))]) - (row[i] as number)));
    const loss = new MultipleNegativesRankingLoss({ hardnessMode: "hard_negatives", hardnessStrength: 5 });
    expect(loss.computeLossFromEmbeddings([q, p, n]).data[0]).toBeCloseTo(want, 5);
  });

  it("validates its options as Python does", () => {
    expect(() => new MultipleNegativesRankingLoss({ scale: 0 })).toThrowError(/Scale/);
    expect(() => new MultipleNegativesRankingLoss({ directions: ["doc_to_query"] })).toThrowError(/query_to_doc/);
    expect(() => new MultipleNegativesRankingLoss({ directions: ["query_to_doc", "doc_to_doc"], partitionMode: "per_direction" })).toThrowError(/joint/);
  });
});

describe("MatryoshkaLoss", () => {
  it("sums the weighted inner loss over truncated, re-normalized embeddings", () => {
    const [u, v] = [emb(4, 8), emb(4, 8)];
    const y = labelTensor([0.3, 0.7, 0.1, 0.9]);
    const inner = new CosineSimilarityLoss();
    const loss = new MatryoshkaLoss(inner, { matryoshkaDims: [4, 8], matryoshkaWeights: [2, 1] });
    expect(loss.matryoshkaDims).toEqual([8, 4]);
    const cut = (t: Tensor, d: number): Tensor => new Tensor(Float32Array.from(rowsOf(t).flatMap((r) => r.slice(0, d))), [4, d]);
    const want = (inner.computeLossFromEmbeddings([u, v], y).data[0] as number) + 2 * (inner.computeLossFromEmbeddings([cut(u, 4), cut(v, 4)], y).data[0] as number);
    expect(loss.computeLossFromEmbeddings([u, v], y).data[0]).toBeCloseTo(want, 5);
    checkGrad(loss, [u, v], y);
    expect(() => new MatryoshkaLoss(inner, { matryoshkaDims: [16] }).computeLossFromEmbeddings([u, v], y)).toThrowError(/cannot be greater/);
  });

  it("truncates embedding-shaped labels (distillation) with the embeddings", () => {
    const [x, teacher] = [emb(3, 6), emb(3, 6)];
    const loss = new MatryoshkaLoss(new MSELoss(), { matryoshkaDims: [6, 3] });
    expect(Number.isFinite(loss.computeLossFromEmbeddings([x], teacher).data[0])).toBe(true);
  });
});

describe("TripletLoss, ContrastiveLoss, MSELoss", () => {
  it("TripletLoss = mean(relu(‖a − p‖ − ‖a − n‖ + 5))", () => {
    const [a, p, n] = [emb(5, 3), emb(5, 3), emb(5, 3)];
    const dist = (x: number[], y: number[]): number => norm(x.map((v, i) => v - (y[i] as number)));
    const want = avg(rowsOf(a).map((ar, i) => Math.max(0, dist(ar, rowsOf(p)[i] as number[]) - dist(ar, rowsOf(n)[i] as number[]) + 5)));
    const loss = new TripletLoss();
    expect(loss.computeLossFromEmbeddings([a, p, n]).data[0]).toBeCloseTo(want, 5);
    checkGrad(loss, [a, p, n]);
    checkGrad(new TripletLoss({ distanceMetric: "cosine", tripletMargin: 0.5 }), [a, p, n]);
  });

  it("ContrastiveLoss = mean(0.5 · (y·d² + (1 − y)·relu(0.5 − d)²)), d = 1 − cos", () => {
    const [a, b] = [emb(6, 4), emb(6, 4)];
    const y = [1, 0, 1, 0, 0, 1];
    const want = avg(
      rowsOf(a).map((ar, i) => {
        const d = 1 - cos(ar, rowsOf(b)[i] as number[]);
        return 0.5 * ((y[i] as number) * d * d + (1 - (y[i] as number)) * Math.max(0, 0.5 - d) ** 2);
      }),
    );
    const loss = new ContrastiveLoss();
    expect(loss.computeLossFromEmbeddings([a, b], labelTensor(y)).data[0]).toBeCloseTo(want, 6);
    checkGrad(loss, [a, b], labelTensor(y));
  });

  it("MSELoss stacks several columns against the same teacher embeddings", () => {
    const [s1, s2, teacher] = [emb(2, 3), emb(2, 3), emb(2, 3)];
    const t = rowsOf(teacher);
    const sq = (x: Tensor): number[] => rowsOf(x).flatMap((r, i) => r.map((v, j) => (v - (t[i]?.[j] as number)) ** 2));
    const loss = new MSELoss();
    expect(loss.computeLossFromEmbeddings([s1, s2], teacher).data[0]).toBeCloseTo(avg([...sq(s1), ...sq(s2)]), 6);
    teacher.requiresGrad = false;
    checkGrad(loss, [s1, s2], teacher);
    expect(() => loss.computeLossFromEmbeddings([s1], labelTensor([1, 2]))).toThrowError(/teacher embeddings/);
  });
});

describe("cross-encoder losses", () => {
  it("BinaryCrossEntropyLoss = BCEWithLogits(pos_weight) on the single logit", () => {
    const logits = emb(4, 1);
    const y = [1, 0, 0.5, 1];
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    const bce = (pw: number): number => avg(Array.from(logits.data, (x, i) => -(pw * (y[i] as number) * Math.log(sig(x)) + (1 - (y[i] as number)) * Math.log(1 - sig(x)))));
    expect(new BinaryCrossEntropyLoss().computeLossFromLogits(logits, labelTensor(y)).data[0]).toBeCloseTo(bce(1), 6);
    expect(new BinaryCrossEntropyLoss({ posWeight: 3 }).computeLossFromLogits(logits, labelTensor(y)).data[0]).toBeCloseTo(bce(3), 6);
    expect(() => new BinaryCrossEntropyLoss().computeLossFromLogits(emb(4, 2), labelTensor(y))).toThrowError(/1 output label/);
  });

  it("CrossEntropyLoss on class labels, with a gradient", () => {
    const logits = emb(3, 3);
    const y = [2, 0, 1];
    const want = avg(rowsOf(logits).map((r, i) => lse(r) - (r[y[i] as number] as number)));
    const loss = new CrossEntropyLoss();
    expect(loss.computeLossFromLogits(logits, labelTensor(y)).data[0]).toBeCloseTo(want, 6);
    const r = gradCheck((xs) => loss.computeLossFromLogits(xs[0] as Tensor, labelTensor(y)), [logits], 3e-3);
    expect(r.maxAbsError).toBeLessThanOrEqual(1e-3);
  });
});

describe("registry", () => {
  it("builds every bi-encoder loss by its Python name with Python's defaults", () => {
    const opts = { embeddingDimension: 8, numLabels: 3, innerLoss: "CoSENTLoss", matryoshkaDims: [8, 4] };
    for (const name of EMBEDDING_LOSS_NAMES) expect(createEmbeddingLoss(name, opts).name).toBe(name);
    expect(createEmbeddingLoss("MultipleNegativesRankingLoss").configDict()["scale"]).toBe(20);
    expect(createEmbeddingLoss("TripletLoss").configDict()["triplet_margin"]).toBe(5);
    expect(createEmbeddingLoss("ContrastiveLoss").configDict()["margin"]).toBe(0.5);
    expect(createLogitsLoss("CrossEntropyLoss").name).toBe("CrossEntropyLoss");
    expect(() => createEmbeddingLoss("SoftmaxLoss")).toThrowError(/num-labels/);
    expect(() => createEmbeddingLoss("AnglELoss")).toThrowError(/unknown loss/);
  });
});
