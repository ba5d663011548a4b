// NOTE TO ENGINEERS WORKING IN PARALLEL: read /work/main/docs/PARALLEL.md first (rules: no commits, no npm install, no build into dist/, small additive edits in shared files). The lead removes this line.
/**
 * Options of `createMonitor` and `wrap`: their types, their defaults, and the validation that turns a
 * bad option into an error naming it, at the boundary, before anything is wired.
 */
import type { Registry } from 'prom-client';

export interface TokenOptions {
  /**
   * Count tokens with a local tokenizer when the provider reports no usage, and mark those counts
   * `estimated`. Counting runs after the call has ended, off the app's path. Default `true`.
   */
  estimate?: boolean;
  /**
   * For OpenAI-style streaming chat and text completions that did not ask for usage, add
   * `stream_options: { include_usage: true }` to the request so the server reports real counts.
   * The extra usage-only chunk this makes the server send is consumed by the monitor and never
   * shown to the app. Default `false`: the request is sent exactly as the app wrote it.
   */
  includeStreamUsage?: boolean;
}

export interface SnapshotOptions {
  /** Recent calls kept per provider/operation/model for the snapshot's percentiles. Default 1024. */
  samples?: number;
  /** Seconds of history behind the snapshot's requests/s and tokens/s. Default 60. */
  rateWindowSeconds?: number;
}

export interface MonitorOptions {
  /** Your service's name, carried on exported data (`service` label is not added to metrics). */
  serviceName?: string;
  /** A prom-client Registry to register the metrics on. Default: the monitor's own Registry. */
  registry?: Registry;
  /** Turn the Prometheus metrics off (`false`). Default on. */
  prometheus?: boolean;
  /**
   * Cardinality guard: each metric label keeps at most this many distinct values; the rest fold into
   * `other` and are counted in `llm_vitals_label_overflow_total`. Default 100.
   */
  maxLabelValues?: number;
  tokens?: TokenOptions;
  snapshot?: SnapshotOptions;
}

export interface WrapOptions {
  /** `gen_ai.provider.name` for this client. Default: inferred from the client's base URL, else `openai`. */
  provider?: string;
}

export interface ResolvedOptions {
  serviceName: string;
  registry: Registry | undefined;
  prometheus: boolean;
  maxLabelValues: number;
  tokens: Required<TokenOptions>;
  snapshot: Required<SnapshotOptions>;
}

const KNOWN = new Set(['serviceName', 'registry', 'prometheus', 'maxLabelValues', 'tokens', 'snapshot']);

/** Validate options and fill defaults. Throws a TypeError naming the first bad option. */
export function resolveOptions(options: MonitorOptions | undefined): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') fail('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new TypeError(`createMonitor: unknown option "${key}" (known: ${[...KNOWN].join(', ')})`);
    }
  }
  const o = options;
  if (o.serviceName !== undefined && (typeof o.serviceName !== 'string' || o.serviceName === '')) {
    fail('serviceName', 'a non-empty string', o.serviceName);
  }
  if (o.registry !== undefined && (typeof o.registry !== 'object' || typeof (o.registry as any).registerMetric !== 'function')) {
    fail('registry', 'a prom-client Registry', o.registry);
  }
  if (o.prometheus !== undefined && typeof o.prometheus !== 'boolean') fail('prometheus', 'a boolean', o.prometheus);
  if (o.maxLabelValues !== undefined && !(Number.isInteger(o.maxLabelValues) && o.maxLabelValues > 0)) {
    fail('maxLabelValues', 'a positive integer', o.maxLabelValues);
  }
  const tokens = objectOption('tokens', o.tokens);
  if (tokens.estimate !== undefined && typeof tokens.estimate !== 'boolean') fail('tokens.estimate', 'a boolean', tokens.estimate);
  if (tokens.includeStreamUsage !== undefined && typeof tokens.includeStreamUsage !== 'boolean') {
    fail('tokens.includeStreamUsage', 'a boolean', tokens.includeStreamUsage);
  }
  const snapshot = objectOption('snapshot', o.snapshot);
  if (snapshot.samples !== undefined && !(Number.isInteger(snapshot.samples) && snapshot.samples >= 16 && snapshot.samples <= 1 << 20)) {
    fail('snapshot.samples', 'an integer from 16 to 1048576', snapshot.samples);
  }
  if (
    snapshot.rateWindowSeconds !== undefined &&
    !(Number.isInteger(snapshot.rateWindowSeconds) && snapshot.rateWindowSeconds >= 1 && snapshot.rateWindowSeconds <= 3600)
  ) {
    fail('snapshot.rateWindowSeconds', 'an integer from 1 to 3600', snapshot.rateWindowSeconds);
  }
  return {
    serviceName: o.serviceName ?? 'unknown_service',
    registry: o.registry,
    prometheus: o.prometheus ?? true,
    maxLabelValues: o.maxLabelValues ?? 100,
    tokens: { estimate: tokens.estimate ?? true, includeStreamUsage: tokens.includeStreamUsage ?? false },
    snapshot: { samples: snapshot.samples ?? 1024, rateWindowSeconds: snapshot.rateWindowSeconds ?? 60 },
  };
}

/** Validate the options of `wrap`. */
export function resolveWrapOptions(options: WrapOptions | undefined): WrapOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`wrap: options must be an object, got ${describe(options)}`);
  }
  if (options.provider !== undefined && (typeof options.provider !== 'string' || options.provider === '')) {
    throw new TypeError(`wrap: option "provider" must be a non-empty string, got ${describe(options.provider)}`);
  }
  return options;
}

function objectOption<T extends object>(name: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object', value);
  return value;
}

function fail(name: string, expected: string, got: unknown): never {
  throw new TypeError(`createMonitor: option "${name}" must be ${expected}, got ${describe(got)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
