/** Types of random.mjs, the seeded generators, for the tests that import it. */
export function uniform(seed: number): () => number;
export function normal(seed: number): () => number;
export function poisson(u: () => number, lambda: number): number;
