/** Typed access to oracle.json (made by make-oracle.py from numpy / scipy / scikit-learn). */
import { readFileSync } from "node:fs";

export interface Oracle {
  versions: Record<string, string>;
  sums: { a: number[]; sum: number; mean: number }[];
  correlation: { gold: number[]; sim: number[]; pearson: number; spearman: number }[];
  average_precision: { y: number[]; s: number[]; ap: number }[];
  ndcg: { y: number[]; s: number[]; k: number; ndcg: number }[];
  classification: { y_true: number[]; y_pred: number[]; f1_macro: number; f1_micro: number; f1_weighted: number; mcc?: number }[];
  thresholds: {
    scores: number[];
    labels: number[];
    high: boolean;
    accuracy: number;
    accuracy_threshold: number;
    f1: number;
    precision: number;
    recall: number;
    f1_threshold: number;
  }[];
  ir: {
    scores: number[][];
    corpus_ids: string[];
    relevant: string[][];
    cutoffs: { accuracy: number[]; pr: number[]; mrr: number[]; ndcg: number[]; map: number[] };
    rankings: string[][];
    metrics: Record<string, number>;
  }[];
}

export const oracle = JSON.parse(readFileSync(new URL("./oracle.json", import.meta.url), "utf8")) as Oracle;
