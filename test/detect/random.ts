/** Seeded random numbers for the detector tests: the benchmark's generators, the same stream on every run. */
export { normal, poisson, uniform } from '../../bench/random.mjs';
