/**
 * The cost of one call: its final token counts times its model's prices. The model is the one the
 * response named (else the one the request named), matched first exactly, then with its date suffix
 * removed (`gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-20250514` → `claude-sonnet-4`); the app's
 * `prices` come before the shipped table. A model without a price has an unknown cost (`usd`
 * undefined), never a cost of 0.
 *
 * Token arithmetic: the record's input tokens include cache reads and writes for every provider (as
 * the GenAI conventions count them; the Anthropic instrument adds Anthropic's cache fields to its
 * `input_tokens`), so the cached parts are taken out once and priced apart. Reasoning is counted
 * inside the output tokens.
 */
import type { CallCost, CallRecord, TokenCount } from '../record.js';
import { PRICES, PRICES_CHECKED_AT, type ModelPrice } from './prices.js';

/** Date and alias suffixes a model name may carry: -2024-08-06, -20241022, -0613, -latest. */
const DATED = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$/;

/** Remove a model name's date suffix: `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`. */
export function undated(model: string): string {
  return model.replace(DATED, '');
}

interface Priced {
  price: ModelPrice;
  key: string;
  source: 'price_table' | 'options';
}

/** Past this many distinct provider/model pairs the lookup cache starts over (memory stays bounded). */
const MAX_CACHED = 1024;

export class PriceBook {
  /** The app's prices: provider (or `*`) → model (lower case) → price. */
  private readonly custom = new Map<string, Map<string, ModelPrice>>();
  /** provider → model → price (null: none): a per-call lookup without building a key string. */
  private readonly cache = new Map<string, Map<string, Priced | null>>();
  private cached = 0;

  /** `prices`: `{ 'provider/model': price }`; `*` as the provider matches any provider. */
  constructor(prices: Record<string, ModelPrice> | undefined) {
    for (const [key, price] of Object.entries(prices ?? {})) {
      const slash = key.indexOf('/');
      const provider = key.slice(0, slash);
      const model = key.slice(slash + 1).toLowerCase();
      let models = this.custom.get(provider);
      if (models === undefined) this.custom.set(provider, (models = new Map()));
      models.set(model, price);
    }
  }

  /** The price of a model, or undefined when neither the app nor the table has one. */
  lookup(provider: string, model: string | undefined): Priced | undefined {
    if (model === undefined || model === '') return undefined;
    // The last model looked up, again (most calls name the model the one before named).
    if (model === this.lastModel && provider === this.lastProvider) return this.lastPriced;
    const priced = this.lookupCached(provider, model);
    this.lastProvider = provider;
    this.lastModel = model;
    this.lastPriced = priced;
    return priced;
  }

  private lastProvider: string | undefined = undefined;
  private lastModel: string | undefined = undefined;
  private lastPriced: Priced | undefined = undefined;

  private lookupCached(provider: string, model: string): Priced | undefined {
    let byModel = this.cache.get(provider);
    const cached = byModel?.get(model);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.find(provider, model.toLowerCase());
    if (this.cached >= MAX_CACHED) {
      this.cache.clear();
      this.cached = 0;
      byModel = undefined;
    }
    if (byModel === undefined) this.cache.set(provider, (byModel = new Map()));
    byModel.set(model, found ?? null);
    this.cached++;
    return found;
  }

  /**
   * The cost of a finished call. Undefined when no token was counted and the call never reached the
   * provider (nothing to price); `usd` undefined when the model has no price or the counts are missing.
   */
  cost(record: CallRecord): CallCost | undefined {
    const input = record.inputTokens;
    const output = record.outputTokens;
    if (input === undefined && output === undefined) {
      // A call never answered (refused, failed, or aborted before the response) cost nothing known.
      const answered = record.chunks > 0 || (record.httpStatus !== undefined && record.httpStatus < 400);
      if (record.outcome !== 'completed' && !answered) return undefined;
      const priced = this.lookup(record.provider, record.responseModel ?? record.requestModel);
      return { usd: undefined, source: 'unknown', priceKey: priced?.key, pricesCheckedAt: undefined, tokens: 'reported' };
    }
    const priced =
      this.lookup(record.provider, record.responseModel) ??
      (record.responseModel !== record.requestModel ? this.lookup(record.provider, record.requestModel) : undefined);
    const tokens = anyEstimated(input, output, record.cachedInputTokens, record.cacheCreationInputTokens, record.reasoningTokens)
      ? 'estimated'
      : 'reported';
    if (priced === undefined) return { usd: undefined, source: 'unknown', priceKey: undefined, pricesCheckedAt: undefined, tokens };
    return {
      usd: usdOf(record, priced.price),
      source: priced.source,
      priceKey: priced.key,
      pricesCheckedAt: priced.source === 'price_table' ? PRICES_CHECKED_AT : undefined,
      tokens,
    };
  }

  private find(provider: string, model: string): Priced | undefined {
    const bare = undated(model);
    return (
      this.fromOptions(provider, model) ??
      (bare !== model ? this.fromOptions(provider, bare) : undefined) ??
      this.fromTable(provider, model) ??
      (bare !== model ? this.fromTable(provider, bare) : undefined)
    );
  }

  private fromOptions(provider: string, model: string): Priced | undefined {
    const own = this.custom.get(provider)?.get(model);
    if (own !== undefined) return { price: own, key: `${provider}/${model}`, source: 'options' };
    const any = this.custom.get('*')?.get(model);
    if (any !== undefined) return { price: any, key: `*/${model}`, source: 'options' };
    return undefined;
  }

  private fromTable(provider: string, model: string): Priced | undefined {
    const models = PRICES[provider];
    if (models === undefined || !Object.prototype.hasOwnProperty.call(models, model)) return undefined;
    return { price: models[model], key: `${provider}/${model}`, source: 'price_table' };
  }
}

function anyEstimated(...counts: (TokenCount | undefined)[]): boolean {
  for (const c of counts) if (c !== undefined && c.source === 'estimated') return true;
  return false;
}

/** US dollars for a record's token counts at `price` (per million tokens). */
export function usdOf(record: CallRecord, price: ModelPrice): number {
  const input = record.inputTokens?.count ?? 0;
  const cacheRead = record.cachedInputTokens?.count ?? 0;
  const cacheWrite = record.cacheCreationInputTokens?.count ?? 0;
  // The input count includes the cache: take the cached parts out so each token is priced once.
  const uncached = Math.max(0, input - cacheRead - cacheWrite);
  const output = record.outputTokens?.count ?? 0;
  const reasoning = Math.min(record.reasoningTokens?.count ?? 0, output);
  const micro =
    uncached * price.input +
    cacheRead * (price.cachedInput ?? price.input) +
    cacheWrite * (price.cacheWrite ?? price.input) +
    (output - reasoning) * price.output +
    reasoning * (price.reasoning ?? price.output);
  return micro / 1_000_000;
}
