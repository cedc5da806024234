/*
 * Model quality measures over plain arrays. Labels are 0/1; scores are probabilities (or any
 * score where larger means "more likely positive").
 */

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the chance that a random positive
 * scores above a random negative, ties counting one half. NaN when a class is missing.
 */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface ClassificationMetrics {
  auc: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  threshold: number;
  /** Share of positives among the rows measured. */
  baseRate: number;
  /** Mean negative log-likelihood (log loss). */
  logLoss: number;
  confusion: { tp: number; fp: number; tn: number; fn: number };
}

/** The usual threshold metrics; precision/recall/F1 are 0 (not NaN) when nothing is predicted or present. */
export function classificationMetrics(probabilities: readonly number[], labels: readonly number[], threshold = 0.5): ClassificationMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let loss = 0;
  probabilities.forEach((p, i) => {
    const y = labels[i]!;
    const predicted = p >= threshold ? 1 : 0;
    if (predicted === 1 && y === 1) tp++;
    else if (predicted === 1) fp++;
    else if (y === 1) fn++;
    else tn++;
    const clipped = Math.min(1 - 1e-15, Math.max(1e-15, p));
    loss -= y === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  });
  const n = probabilities.length;
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    auc: auc(probabilities, labels),
    accuracy: n ? (tp + tn) / n : Number.NaN,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    threshold,
    baseRate: n ? (tp + fn) / n : Number.NaN,
    logLoss: n ? loss / n : Number.NaN,
    confusion: { tp, fp, tn, fn },
  };
}

export interface ForecastErrors {
  mae: number;
  rmse: number;
  /** Mean absolute percentage error in percent, over the points whose actual value is not 0; null when all are 0. */
  mape: number | null;
}

export function forecastErrors(actual: readonly number[], predicted: readonly number[]): ForecastErrors {
  let abs = 0;
  let sq = 0;
  let pct = 0;
  let nPct = 0;
  actual.forEach((a, i) => {
    const e = a - predicted[i]!;
    abs += Math.abs(e);
    sq += e * e;
    if (a !== 0) {
      pct += Math.abs(e / a);
      nPct++;
    }
  });
  const n = actual.length;
  return { mae: abs / n, rmse: Math.sqrt(sq / n), mape: nPct ? (100 * pct) / nPct : null };
}
