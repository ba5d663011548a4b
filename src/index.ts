/**
 * llm-vitals: the public API and nothing else.
 */
export { createMonitor, MonitorError } from './monitor.js';
export type { Monitor, MonitorEvents } from './monitor.js';
export type { MonitorOptions, WrapOptions, TokenOptions, SnapshotOptions } from './options.js';
export type { CallRecord, Outcome, ErrorType, TokenCount, TokenSource, RequestParams, CapturedContent } from './record.js';
export type { Snapshot, GroupSnapshot, Percentiles } from './sinks/snapshot.js';
