/**
 * Windowed Gaussian, NAB's simplest scoreboard detector (numenta/NAB, `nab/detectors/gaussian/`):
 * each value is scored against a normal distribution fitted (mean, population standard deviation) to the
 * previous `windowSize` values; the score is 1 − Q(z) = Φ(z), z signed: 0.5 at the mean, towards 1 far
 * above it and towards 0 below it, so with a threshold above 0.5 only rises are detected. That is what
 * NAB's published result files hold (a value below the mean scores under 0.5 there); scoring |z| instead
 * gives 42.9 on the shared subset, not the published 35.0. The window fills first and then slides one
 * value at a time.
 * NAB's tuned window is 1,000 values. The first value scores 0; a window of equal values is given a
 * standard deviation of 1e-6.
 */

/** erfc(x) to a fractional error under 1.2e-7 (Numerical Recipes, Chebyshev fit): enough in the far tail too. */
export function erfc(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The upper tail of the standard normal, Q(z) = P(Z > z). */
export const normalTail = (z) => 0.5 * erfc(z / Math.SQRT2);

export const defaults = { windowSize: 1000 };

export function windowedGaussian(values, options = {}) {
  const { windowSize } = { ...defaults, ...options };
  const scores = new Float64Array(values.length);
  let mean = 0;
  let std = 1;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) scores[i] = 1 - normalTail((values[i] - mean) / std);
    // The window is the last min(i + 1, windowSize) values, recomputed in full as NAB does (np.mean, np.std).
    const from = Math.max(0, i + 1 - windowSize);
    const n = i + 1 - from;
    let sum = 0;
    for (let j = from; j <= i; j++) sum += values[j];
    mean = sum / n;
    let squares = 0;
    for (let j = from; j <= i; j++) squares += (values[j] - mean) ** 2;
    std = Math.sqrt(squares / n);
    if (std === 0) std = 0.000001;
  }
  return scores;
}
