/** Seeded random numbers for the detector benchmark and tests: the same stream on every run. */

/** Uniform in [0, 1) from xorshift32. */
export function uniform(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Standard normal draws (Box-Muller) from a seed. */
export function normal(seed) {
  const u = uniform(seed);
  let spare;
  return () => {
    if (spare !== undefined) {
      const t = spare;
      spare = undefined;
      return t;
    }
    let a = 0;
    while (a === 0) a = u();
    const r = Math.sqrt(-2 * Math.log(a));
    const angle = 2 * Math.PI * u();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}

/** A Poisson(λ) draw from one uniform of `u`, by inversion (for small λ: the walk is about λ steps). */
export function poisson(u, lambda) {
  let k = 0;
  let p = Math.exp(-lambda);
  let s = p;
  const x = u();
  while (x > s) s += p *= lambda / ++k;
  return k;
}
