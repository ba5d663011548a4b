/** llm-vitals with every default: Prometheus, snapshot, detectors, evaluators, cost, resource sampler, OTel sinks (no SDK registered). */
import { setupMonitor } from './llm-vitals-common.mjs';

export const openaiMajors = [7, 6];
export const setup = (env) => setupMonitor(env, process.env.LV_OPTIONS ? JSON.parse(process.env.LV_OPTIONS) : {});
