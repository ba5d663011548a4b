/**
 * Usage precedence: what the provider reported comes first and is marked `reported`; a count the
 * monitor made itself with the tokenizer is marked `estimated`; nothing is ever made up as zero.
 */
import type { CallRecord, TokenCount } from '../record.js';

/** A token count from the provider, or undefined when the field is absent or not a number. */
export function reported(value: unknown): TokenCount | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? { count: value, source: 'reported' } : undefined;
}

export function estimated(count: number): TokenCount {
  return { count, source: 'estimated' };
}

/** True when the record still lacks a count the provider should have given. */
export function needsEstimate(record: CallRecord): boolean {
  if (record.operation === 'embeddings') return record.inputTokens === undefined;
  return record.inputTokens === undefined || record.outputTokens === undefined;
}
