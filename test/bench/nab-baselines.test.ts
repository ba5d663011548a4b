import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNab, PROFILES, scoreCorpus } from '../../bench/detect-nab.mjs';
import { BASELINES } from '../../bench/nab-baselines/baselines.mjs';
import { chiSquaredUpperPoint } from '../../bench/nab-baselines/relative-entropy.mjs';
import { partsAtThreshold, scoreAtThreshold, scoreOfParts } from '../../bench/nab-baselines/score.mjs';

const nabDir = resolve(process.env.NAB_DIR ?? resolve(__dirname, '../../../shared/data/nab'));
const fullDir = resolve(__dirname, '../../.nab-extra/full');
const baseline = (id: string) => BASELINES.find((b) => b.id === id)!;
const asPublished = (scores: Float64Array) => Array.from(scores, (x) => Number(x.toPrecision(12)));
/** A baseline's standard score on a corpus at its published constants, threshold chosen on the corpus. */
const scoreOn = (series: ReturnType<typeof loadNab>, id: string) => {
  const b = baseline(id);
  return scoreCorpus(series.map((s) => ({ ...s, scores: asPublished(b.score(s.values, b.grid[0])) })), PROFILES.standard).score;
};

// One series of 100 rows a minute apart, one window over rows 40..49.
const timestamps = Array.from({ length: 100 }, (_, i) => Date.UTC(2014, 0, 1) + i * 60_000);
const one = { name: 'test/one.csv', timestamps, values: timestamps.map(() => 0), windows: [[timestamps[40], timestamps[49]]] as [number, number][] };

describe('NAB baselines (bench/nab-baselines)', () => {
  it('scores a fixed threshold as the corpus search scores the threshold it chose', () => {
    const scores = timestamps.map((_, i) => (i === 30 ? 0.9 : i === 45 ? 0.8 : i === 70 ? 0.6 : 0.1));
    const searched = scoreCorpus([{ ...one, scores }]);
    expect(scoreAtThreshold([{ ...one, scores }], searched.threshold)).toMatchObject({ raw: searched.raw, score: searched.score, falsePositives: searched.falsePositives });
    // A threshold above every score detects nothing: the null detector's 0.
    expect(scoreAtThreshold([{ ...one, scores }], 1).score).toBe(0);
  });

  it('scores a subset from its files\' parts exactly as it scores the subset (what leave one file out adds up)', () => {
    // Three files: a window found late; a miss, with a detection in the probation (rows under 15: not
    // counted) and a false positive; a file with no window and one false positive.
    const files = [
      { ...one, name: 'a/1.csv', scores: timestamps.map((_, i) => (i === 47 ? 0.7 : 0.1)) },
      { ...one, name: 'a/2.csv', scores: timestamps.map((_, i) => (i === 10 || i === 80 ? 0.9 : 0.1)) },
      { ...one, name: 'b/3.csv', windows: [] as [number, number][], scores: timestamps.map((_, i) => (i === 60 ? 0.95 : 0)) },
    ];
    const parts = files.map((f) => partsAtThreshold(f, 0.5));
    expect(scoreOfParts(parts, undefined, 0.5)).toEqual(scoreAtThreshold(files, 0.5));
    for (let leave = 0; leave < files.length; leave++) {
      expect(scoreOfParts(parts.filter((_, i) => i !== leave), undefined, 0.5)).toEqual(scoreAtThreshold(files.filter((_, i) => i !== leave), 0.5));
    }
    expect(parts.map((p) => [p.windows, p.detected, p.falsePositives])).toEqual([[1, 1, 0], [1, 0, 1], [0, 0, 1]]);
  });

  it('tests relative entropy against the chi-squared point scipy gives (4 degrees of freedom, 0.99)', () => {
    expect(chiSquaredUpperPoint(0.01, 4)).toBeCloseTo(13.2767, 4);
  });

  it.skipIf(!existsSync(nabDir))('reproduces Relative Entropy\'s and Windowed Gaussian\'s published scores on the NAB subset', () => {
    const series = loadNab(nabDir);
    for (const id of ['relative-entropy', 'windowed-gaussian']) {
      // Both land on the published figure to the first decimal (35.0 and 46.3), not only within ±2: the
      // Windowed Gaussian of an earlier version (window 1,000 sliding by one, signed score) gave 35.6
      // here and passed ±2 while missing the whole corpus's published 39.6 by 10.
      expect(Math.abs(scoreOn(series, id) - baseline(id).published), id).toBeLessThan(0.05);
    }
  });

  // Skipped where NAB's other 24 files are not on disk (a fresh clone, CI): they are NAB's data, not
  // committed; `node bench/nab-baselines/full-corpus.mjs` assembles them where they were fetched.
  it.skipIf(!existsSync(resolve(fullDir, 'labels')))('reproduces both on NAB\'s whole corpus (58 files): 39.6 and 54.6', () => {
    const series = loadNab(fullDir);
    expect(series).toHaveLength(58);
    for (const id of ['relative-entropy', 'windowed-gaussian']) {
      expect(Math.abs(scoreOn(series, id) - baseline(id).publishedCorpus), id).toBeLessThan(0.06);
    }
  });
});
