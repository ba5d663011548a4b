/**
 * Scoring helpers on top of the NAB scorer in bench/detect-nab.mjs: the score of a set of files at a
 * threshold fixed in advance (what a held-out fold is scored with), next to `scoreCorpus`, which picks the
 * best threshold on the files it is given.
 */
import { PROFILES, sweep } from '../detect-nab.mjs';

/** Score `results` ([{ name, timestamps, scores, windows }]) with detections at score ≥ threshold. */
export function scoreAtThreshold(results, threshold, profile = PROFILES.standard) {
  let windows = 0;
  let detected = 0;
  let raw = 0;
  let falsePositives = 0;
  for (const r of results) {
    const best = new Map();
    for (const p of sweep(r.name, r.timestamps, r.scores, r.windows, profile)) {
      if (p.window !== null) {
        if (!best.has(p.window)) best.set(p.window, -profile.fnWeight);
        if (p.score >= threshold && p.value > best.get(p.window)) best.set(p.window, p.value);
      } else if (p.score >= threshold) {
        raw += p.value;
        falsePositives++;
      }
    }
    for (const value of best.values()) {
      windows++;
      raw += value;
      if (value !== -profile.fnWeight) detected++;
    }
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
