/**
 * KNN-CAD, conformalized k-nearest-neighbour anomaly detection (Burnaev & Ishimtsev, "Conformalized
 * density- and distance-based anomaly detection in time-series data", arXiv:1608.04585; as entered in
 * NAB, numenta/NAB `nab/detectors/knncad/`):
 *
 * - Each row's item is the vector of the last `dim` values (19).
 * - Rows before the probation period (P = min(floor(15% of the file's rows), 750), which NAB hands every detector)
 *   fill the training set.
 * - The non-conformity of an item is the sum of its squared Mahalanobis distances to its `k` (27) nearest
 *   training items, the metric being inv(XᵀX) of the training matrix X, recomputed twice every P rows.
 * - The score is the share of the last calibration non-conformities (first those of the training items
 *   themselves, leave-self-in) below the new item's: a conformal p-value's complement.
 * - After 2P rows the training set slides: its oldest item goes, the oldest calibration item joins.
 * - A score ≥ 0.9965 raises an alarm and mutes the next floor(P/5) rows to 0.5.
 */

import { probationLength } from '../detect-nab.mjs';

export const defaults = { k: 27, dim: 19, alarm: 0.9965 };

/** Inverse of a square matrix (Gauss-Jordan, partial pivoting); null where a pivot is exactly 0 (singular). */
function inverse(a, n) {
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = a[i * n + j];
    m[i * 2 * n + n + i] = 1;
  }
  const w = 2 * n;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * w + c]) > Math.abs(m[p * w + c])) p = r;
    if (m[p * w + c] === 0) return null;
    if (p !== c) {
      for (let j = 0; j < w; j++) {
        const t = m[c * w + j];
        m[c * w + j] = m[p * w + j];
        m[p * w + j] = t;
      }
    }
    const pivot = m[c * w + c];
    for (let j = 0; j < w; j++) m[c * w + j] /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * w + c];
      if (f === 0) continue;
      for (let j = 0; j < w; j++) m[r * w + j] -= f * m[c * w + j];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) inv[i * n + j] = m[i * w + n + j];
  return inv;
}

export function knnCad(values, options = {}) {
  const { k, dim, alarm } = { ...defaults, ...options };
  const rows = values.length;
  // NAB's probationary period: 15% of the rows, at most 750 (nab/util.py getProbationPeriod). An earlier
  // version here left out the cap: the same on files under 5,000 rows (all 34 shared ones), 51.0 instead
  // of the published 58.0 on the whole corpus.
  const probation = probationLength(rows);
  const scores = new Float64Array(rows);
  let sigma = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) sigma[i * dim + i] = 1;
  const training = [];
  const calibration = [];
  let calibrationScores = [];
  let muted = -1;
  const diff = new Float64Array(dim);
  const metric = (a, b) => {
    for (let i = 0; i < dim; i++) diff[i] = a[i] - b[i];
    let total = 0;
    for (let i = 0; i < dim; i++) {
      let row = 0;
      const base = i * dim;
      for (let j = 0; j < dim; j++) row += diff[j] * sigma[base + j];
      total += row * diff[i];
    }
    return total;
  };
  const distances = new Float64Array(rows);
  /** Sum of the `count` smallest distances from `item` to the training items. */
  const nonConformity = (item, count) => {
    const n = training.length;
    for (let t = 0; t < n; t++) distances[t] = metric(training[t], item);
    const sorted = distances.subarray(0, n).sort();
    let sum = 0;
    for (let t = 0; t < Math.min(count, n); t++) sum += sorted[t];
    return sum;
  };
  for (let r = 0; r < rows; r++) {
    const recordCount = r + 1;
    if (recordCount < dim) continue;
    const item = Float64Array.from(values.slice(recordCount - dim, recordCount));
    if (recordCount < probation) {
      training.push(item);
      continue;
    }
    const offset = recordCount % probation;
    if (offset === 0 || offset === Math.floor(probation / 2)) {
      const gram = new Float64Array(dim * dim);
      for (const x of training) for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) gram[i * dim + j] += x[i] * x[j];
      const inv = inverse(gram, dim);
      if (inv !== null) sigma = inv;
    }
    if (calibrationScores.length === 0) calibrationScores = training.map((x) => nonConformity(x, k + 1));
    const score = nonConformity(item, k);
    let below = 0;
    for (const s of calibrationScores) if (s < score) below++;
    const result = below / calibrationScores.length;
    if (recordCount >= 2 * probation) {
      training.shift();
      training.push(calibration.shift());
    }
    calibrationScores.shift();
    calibration.push(item);
    calibrationScores.push(score);
    if (muted > 0) {
      muted--;
      scores[r] = 0.5;
      continue;
    }
    if (result >= alarm) muted = Math.floor(probation / 5);
    scores[r] = result;
  }
  return scores;
}
