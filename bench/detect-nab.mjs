/**
 * The Numenta Anomaly Benchmark scorer, written from NAB's published rules (numenta/NAB,
 * `nab/sweeper.py`, and the summary in the data folder's README), for `bench/detect.mjs`:
 *
 * - Each row of a series gets an anomaly score in [0, 1]; a row at or above the threshold is a detection.
 * - The first min(floor(15% of the rows), 750) rows are a probation period and are not scored.
 * - In a labelled window only the earliest detection counts, weighted by a scaled sigmoid of its
 *   position, 2·sigmoid(-5x) - 1 with x = -(right - i + 1) / width: 1 at the left edge (scaled by the
 *   left edge's own value), about 0 at the right edge; a window without a detection costs fnWeight.
 * - A detection outside every window costs fpWeight × the same sigmoid of its distance past the end
 *   of the previous window, |right - i| / (width - 1) (-1, the full cost, past 3 widths or before any window).
 * - One threshold for the whole corpus, the one that maximises the total (found exactly here, over every
 *   distinct score, where NAB runs a local search from 0.5, which can only find a lower total).
 * - Normalised score = 100 × (raw - null) / (perfect - null): null detects nothing (-fnWeight per
 *   window), perfect detects every window at its left edge (tpWeight per window).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PROFILES = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

/** Epoch ms of a NAB timestamp (`2014-02-14 14:30:00`, optionally with fractional seconds), read as UTC. */
export function parseNabTime(text) {
  const ms = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`unparsable NAB timestamp: ${JSON.stringify(text)}`);
  return ms;
}

export function scaledSigmoid(position) {
  if (position >= 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

export function probationLength(rows, probationPercent = 0.15) {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** Load every series of a NAB folder with its windows: [{ name, timestamps, values, windows }]. */
export function loadNab(root) {
  const windows = JSON.parse(readFileSync(join(root, 'labels', 'combined_windows.json'), 'utf8'));
  const series = [];
  for (const category of readdirSync(join(root, 'data')).sort()) {
    for (const file of readdirSync(join(root, 'data', category)).sort()) {
      if (!file.endsWith('.csv')) continue;
      const name = `${category}/${file}`;
      const lines = readFileSync(join(root, 'data', category, file), 'utf8').split(/\r?\n/);
      const timestamps = [];
      const values = [];
      for (let i = 1; i < lines.length; i++) {
        if (lines[i] === '') continue;
        const comma = lines[i].indexOf(',');
        timestamps.push(parseNabTime(lines[i].slice(0, comma)));
        values.push(Number(lines[i].slice(comma + 1)));
      }
      const limits = (windows[name] ?? []).map(([start, end]) => [parseNabTime(start), parseNabTime(end)]);
      series.push({ name, timestamps, values, windows: limits });
    }
  }
  return series;
}

/**
 * The sweep of one series (NAB's `calcSweepScore`): for each scorable row, its anomaly score, what a
 * detection there is worth, and the window it is in (a string key) or null.
 */
export function sweep(name, timestamps, scores, windows, profile) {
  const { tpWeight, fpWeight } = profile;
  const maxTP = scaledSigmoid(-1);
  const probation = probationLength(timestamps.length);
  const index = new Map(timestamps.map((t, i) => [t, i]));
  const pending = windows.slice();
  const points = [];
  let current = null;
  let prevRight = null;
  let prevWidth = null;
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (pending.length > 0 && t === pending[0][0]) {
      const [start, end] = pending.shift();
      const right = index.get(end);
      if (right === undefined) throw new Error(`${name}: window end ${new Date(end).toISOString()} is not a row`);
      current = { key: `${name}|${start}`, end, right, width: right - index.get(start) + 1 };
    }
    let value;
    if (current !== null) {
      value = (scaledSigmoid(-(current.right - i + 1) / current.width) * tpWeight) / maxTP;
    } else {
      const position = prevRight === null ? 3 : Math.abs(prevRight - i) / (prevWidth - 1);
      value = scaledSigmoid(position) * fpWeight;
    }
    if (i >= probation) points.push({ score: scores[i], value, window: current === null ? null : current.key });
    if (current !== null && t === current.end) {
      prevRight = current.right;
      prevWidth = current.width;
      current = null;
    }
  }
  return points;
}

/**
 * Score a corpus: `results` is [{ name, timestamps, scores, windows }]. Returns the best threshold, the
 * raw and normalised scores and the counts at that threshold.
 */
export function scoreCorpus(results, profile = PROFILES.standard) {
  const points = [];
  const windowKeys = new Set();
  for (const r of results) {
    for (const p of sweep(r.name, r.timestamps, r.scores, r.windows, profile)) {
      points.push(p);
      if (p.window !== null) windowKeys.add(p.window);
    }
  }
  points.sort((a, b) => b.score - a.score);
  const windowCount = windowKeys.size;
  const bestOf = new Map();
  let fp = 0;
  let fpCount = 0;
  let windowPart = -profile.fnWeight * windowCount;
  let best = { threshold: 1.1, raw: windowPart, fp: 0, detected: 0 };
  for (let i = 0; i < points.length; ) {
    const threshold = points[i].score;
    // Every row with this very score becomes a detection together.
    for (; i < points.length && points[i].score === threshold; i++) {
      const p = points[i];
      if (p.window === null) {
        fp += p.value;
        fpCount++;
      } else {
        const previous = bestOf.get(p.window) ?? -profile.fnWeight;
        if (p.value > previous) {
          windowPart += p.value - previous;
          bestOf.set(p.window, p.value);
        }
      }
    }
    const raw = windowPart + fp;
    if (raw > best.raw) best = { threshold, raw, fp: fpCount, detected: bestOf.size };
  }
  const perfect = profile.tpWeight * windowCount;
  const none = -profile.fnWeight * windowCount;
  return {
    threshold: best.threshold,
    raw: best.raw,
    score: (100 * (best.raw - none)) / (perfect - none),
    windows: windowCount,
    detectedWindows: best.detected,
    falsePositives: best.fp,
  };
}
