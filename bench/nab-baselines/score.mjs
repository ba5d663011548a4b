/**
 * Scoring helpers on top of the NAB scorer in bench/detect-nab.mjs: the score of a set of files at a
 * threshold fixed in advance (what a held-out fold is scored with), next to `scoreCorpus`, which picks the
 * best threshold on the files it is given.
 */
import { PROFILES, sweep } from '../detect-nab.mjs';

/** Score `results` ([{ name, timestamps, scores, windows }]) with detections at score ≥ threshold. */
export function scoreAtThreshold(results, threshold, profile = PROFILES.standard) {
  return scoreOfParts(results.map((r) => partsAtThreshold(r, threshold, profile)), profile, threshold);
}

/**
 * One file's part of `scoreAtThreshold`: the values it adds to the raw score, in the order they are
 * added (its false positives, then each window's best detection or the miss), and its counts. The sweep
 * is the costly step: a caller scoring many subsets of the same files (leave one file out) takes each
 * file's part once and adds the parts up with `scoreOfParts`, the same additions in the same order.
 */
export function partsAtThreshold(r, threshold, profile = PROFILES.standard) {
  const values = [];
  const best = new Map();
  let falsePositives = 0;
  for (const p of sweep(r.name, r.timestamps, r.scores, r.windows, profile)) {
    if (p.window !== null) {
      if (!best.has(p.window)) best.set(p.window, -profile.fnWeight);
      if (p.score >= threshold && p.value > best.get(p.window)) best.set(p.window, p.value);
    } else if (p.score >= threshold) {
      values.push(p.value);
      falsePositives++;
    }
  }
  let detected = 0;
  for (const value of best.values()) {
    values.push(value);
    if (value !== -profile.fnWeight) detected++;
  }
  return { values, windows: best.size, detected, falsePositives };
}

/** The score of files from their parts (`partsAtThreshold`), at the threshold the parts were taken at. */
export function scoreOfParts(parts, profile = PROFILES.standard, threshold = NaN) {
  let windows = 0;
  let detected = 0;
  let raw = 0;
  let falsePositives = 0;
  for (const part of parts) {
    for (const value of part.values) raw += value;
    windows += part.windows;
    detected += part.detected;
    falsePositives += part.falsePositives;
  }
  const perfect = profile.tpWeight * windows;
  const none = -profile.fnWeight * windows;
  return {
    threshold,
    raw,
    // A fold without windows (artificialNoAnomaly) has no normalised score: only its false positives count.
    score: windows === 0 ? NaN : (100 * (raw - none)) / (perfect - none),
    windows,
    detectedWindows: detected,
    falsePositives,
  };
}
