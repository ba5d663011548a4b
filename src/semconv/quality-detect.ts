/**
 * Names of the cost, quality, segment and detector metrics, part of the one table of exported names that `semconv.ts` re-exports (import
 * them from there). Split out only to keep each file short.
 */

// ---- Cost, quality and segments (sinks/quality.ts) ------------------------------------------------

/** The cost and quality metrics (Prometheus), labelled by provider, request model and route. */
export const QUALITY_METRIC = {
  costUsd: {
    prom: 'llm_vitals_cost_usd_total',
    help: 'US dollars spent on LLM calls, from the price table and the token counts; source: where the token counts came from.',
  },
  unknownCost: {
    prom: 'llm_vitals_cost_unknown_calls_total',
    help: 'LLM calls whose cost is unknown (no price for the model, or no token counts): not counted as 0 in llm_vitals_cost_usd_total.',
  },
  qualityScore: {
    prom: 'llm_vitals_quality_score',
    help: 'Quality scores in [0, 1]: per evaluated call (source="evaluators"), per feedback (source="feedback"), per ground truth (source="ground_truth": 1 correct, 0 incorrect; the mean is the accuracy).',
  },
  evaluations: {
    prom: 'llm_vitals_evaluations_total',
    help: 'Output evaluations by evaluator and result (pass, fail, error, timeout).',
  },
} as const;

/** Labels of the cost and quality metrics, beyond the GenAI ones. */
export const QUALITY_LABEL = {
  evaluator: 'evaluator',
  result: 'result',
  /** quality_score: `evaluators`, `feedback` or `ground_truth`; cost: `reported` or `estimated` token counts. */
  source: 'source',
} as const;

/** `llm_vitals_quality_score` bucket boundaries: tenths of the [0, 1] score. */
export const QUALITY_SCORE_BUCKETS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;

/** Span attributes of cost and quality, for the OTel sink (the project's own `llm_vitals.*`). */
export const QUALITY_ATTR = {
  /** US dollars; absent when the cost is unknown. */
  costUsd: 'llm_vitals.cost.usd',
  /** `price_table`, `options` or `unknown`. */
  costSource: 'llm_vitals.cost.source',
  qualityScore: 'llm_vitals.quality.score',
  segment: 'llm_vitals.segment',
} as const;

// ---- Detectors: anomalies and drift (detect/sink.ts) --------------------------------------------

/** The detectors' Prometheus metrics; each also carries the provider, request model and route labels. */
export const DETECT_METRIC = {
  anomalies: {
    prom: 'llm_vitals_anomalies_total',
    help: 'Anomaly alerts raised by the detectors, by signal and by what drove them (point, level_up, level_down, variance, rate).',
  },
  anomalyScore: {
    prom: 'llm_vitals_anomaly_score',
    help: 'Anomaly score of the latest observation of a signal, in [0, 1]; 0.5 is the false-alarm budget (an alert).',
  },
  driftScore: {
    prom: 'llm_vitals_drift_score',
    help: 'Latest drift statistic of a signal between its reference and current windows, by statistic (psi, js_distance, wasserstein, chi_squared_p_value).',
  },
} as const;

/** The detectors' own labels. */
export const DETECT_LABEL = {
  /** The signal watched: `latency`, `time_to_first_chunk`, `error_rate`, ... (detect/signals.ts). */
  signal: 'signal',
  /** What drove an anomaly alert: `point`, `level_up`, `level_down`, `variance`, `rate`. */
  reason: 'reason',
  /** The drift statistic: `psi`, `js_distance`, `wasserstein`, `chi_squared_p_value`. */
  statistic: 'statistic',
} as const;
