/**
 * llm-vitals exporting Prometheus metrics only: detectors off (`detect: false`), evaluation off
 * (`evaluationSampleRate: 0`), resource sampler off (`resources: false`), OTel sinks off (`otel: false`),
 * as bench/overhead.mjs configures "Prometheus export only".
 */
import { setupMonitor } from './llm-vitals-common.mjs';

export const openaiMajors = [7, 6];
export const setup = (env) => setupMonitor(env, { detect: false, evaluationSampleRate: 0, resources: false, otel: false });
