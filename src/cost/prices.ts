/**
 * The price table shipped with llm-vitals: list prices in US dollars per million tokens, per provider
 * and model, as data. Model names are the providers' undated names; a dated variant
 * (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`) matches its undated name, except where a dated
 * variant has a price of its own (listed here under its full name).
 *
 * These are the providers' public list prices (standard tier: no Batch, Flex or Priority discounts or
 * surcharges, no long-context tiers) as the author knew them on PRICES_CHECKED_AT. They were not
 * re-checked at release. Prices change: verify them against https://openai.com/api/pricing and
 * https://www.anthropic.com/pricing#api, and override or extend them with the `prices` option.
 * Every cost figure carries the date of the prices it used.
 */

/** US dollars per million tokens. */
export interface ModelPrice {
  /** Input tokens not served from a cache. */
  input: number;
  /** Output tokens (reasoning tokens included, unless `reasoning` prices them apart). */
  output: number;
  /** Input tokens read from the provider's prompt cache. Default: `input`. */
  cachedInput?: number;
  /** Input tokens written to the prompt cache (Anthropic, 5-minute cache). Default: `input`. */
  cacheWrite?: number;
  /** Reasoning (thinking) tokens, which the providers count inside the output tokens. Default: `output`. */
  reasoning?: number;
}

/** The date the shipped prices were checked (YYYY-MM-DD). */
export const PRICES_CHECKED_AT = '2025-10-15';

/** Shipped prices, by `gen_ai.provider.name`, then by model name (lower case). */
export const PRICES: Readonly<Record<string, Readonly<Record<string, ModelPrice>>>> = {
  openai: {
    'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
    'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
    'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
    'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
    'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
    'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
    'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
    // The first gpt-4o snapshot kept its launch price.
    'gpt-4o-2024-05-13': { input: 5, output: 15 },
    'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
    o1: { input: 15, cachedInput: 7.5, output: 60 },
    'o1-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
    o3: { input: 2, cachedInput: 0.5, output: 8 },
    'o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
    'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
    'gpt-4-turbo': { input: 10, output: 30 },
    'gpt-4': { input: 30, output: 60 },
    'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
    'gpt-3.5-turbo-instruct': { input: 1.5, output: 2 },
    'text-embedding-3-small': { input: 0.02, output: 0 },
    'text-embedding-3-large': { input: 0.13, output: 0 },
    'text-embedding-ada-002': { input: 0.1, output: 0 },
  },
  anthropic: {
    'claude-opus-4-1': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
    'claude-opus-4': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
    'claude-sonnet-4-5': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-sonnet-4': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-3-7-sonnet': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-3-5-sonnet': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-haiku-4-5': { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
    'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
    'claude-3-haiku': { input: 0.25, cachedInput: 0.03, cacheWrite: 0.3, output: 1.25 },
    'claude-3-opus': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  },
};
