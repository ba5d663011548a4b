/**
 * Relative Entropy (Wang et al., "Statistical techniques for online anomaly detection in data centers",
 * IFIP/IEEE IM 2011, figure 1; numenta/NAB `nab/detectors/relative_entropy/`): the last W values are
 * quantised into N bins spanning the file's range and their histogram is tested against every histogram
 * seen so far (the hypotheses) by relative entropy, 2·W·KL(P̂ ‖ P), against the chi-squared point with
 * N − 1 degrees of freedom at 0.99. No hypothesis accepted: the row is anomalous (score 1) and P̂
 * becomes a new hypothesis; the best accepted one seen at most c_th times before: anomalous too.
 * Otherwise 0. NAB's tuned constants: N = 5 bins, W = 52, c_th = 1. The bins span the file's minimum
 * and maximum, which NAB hands every detector up front; a constant file scores 0 throughout.
 */

export const defaults = { bins: 5, window: 52, acceptCount: 1, confidence: 0.99 };

/** Upper point of the chi-squared distribution for even degrees of freedom (closed form), by bisection. */
export function chiSquaredUpperPoint(tail, degrees) {
  if (degrees % 2 !== 0) throw new Error('chiSquaredUpperPoint: even degrees of freedom only');
  // P(X > x) = exp(-x/2) Σ_{j < k/2} (x/2)^j / j!
  const survival = (x) => {
    let term = 1;
    let sum = 1;
    for (let j = 1; j < degrees / 2; j++) {
      term *= x / 2 / j;
      sum += term;
    }
    return Math.exp(-x / 2) * sum;
  };
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (survival(mid) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function relativeEntropy(values, options = {}) {
  const { bins, window, acceptCount, confidence } = { ...defaults, ...options };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const step = (max - min) / bins;
  const threshold = chiSquaredUpperPoint(1 - confidence, bins - 1);
  const scores = new Float64Array(values.length);
  if (step === 0) return scores;
  const hypotheses = [];
  const counts = [];
  const histogram = new Float64Array(bins);
  for (let i = window - 1; i < values.length; i++) {
    histogram.fill(0);
    for (let j = i - window + 1; j <= i; j++) {
      // Bin ceil((v - min) / step), 0..bins; the last bin is closed, so `bins` joins bins - 1 (np.histogram).
      const b = Math.min(Math.ceil((values[j] - min) / step), bins - 1);
      histogram[b] += 1;
    }
    for (let b = 0; b < bins; b++) histogram[b] /= window;
    if (hypotheses.length === 0) {
      hypotheses.push(histogram.slice());
      counts.push(1);
      continue;
    }
    let best = -1;
    let bestEntropy = Infinity;
    for (let h = 0; h < hypotheses.length; h++) {
      const q = hypotheses[h];
      let kl = 0;
      for (let b = 0; b < bins; b++) {
        if (histogram[b] > 0) kl += histogram[b] * Math.log(histogram[b] / q[b]);
      }
      const entropy = 2 * window * kl;
      if (entropy < threshold && entropy < bestEntropy) {
        bestEntropy = entropy;
        best = h;
      }
    }
    if (best >= 0) {
      counts[best] += 1;
      if (counts[best] <= acceptCount) scores[i] = 1;
    } else {
      scores[i] = 1;
      hypotheses.push(histogram.slice());
      counts.push(1);
    }
  }
  return scores;
}
