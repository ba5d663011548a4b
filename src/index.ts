/**
 * llm-vitals: the public API and nothing else.
 */
export { createMonitor } from './monitor.js';
export { MonitorError, type Monitor, type MonitorEvents } from './api.js';
export type { MonitorOptions, WrapOptions, TokenOptions, SnapshotOptions } from './options.js';
export type { CallRecord, Outcome, ErrorType, TokenCount, TokenSource, RequestParams, CapturedContent } from './record.js';
export type { Snapshot, GroupSnapshot, Percentiles } from './sinks/snapshot.js';
export type { ResourceOptions } from './options.js';
export type { OtelOptions } from './options.js';
export type { ResourceSample, ProcessSample, EventLoopSample, SystemSample, GpuSample } from './resources/sample.js';
export type { ExpressOptions, ExpressRequest, AttributeValue } from './express/options.js';
export type { ExpressMiddleware, NextFunction } from './express/middleware.js';
export type { TrackOptions, TrackUsage } from './instrument/track.js';
export type { Sink, MetricLabels } from './sinks/sink.js';
export type { CallCost, CallQuality, EvaluationResult } from './record.js';
export type { CaptureOptions, SegmentOptions, EvaluatorOption } from './quality/options.js';
export type { Evaluator, EvaluationInput, Verdict } from './quality/evaluators.js';
export type { Feedback } from './quality/feedback.js';
export type { RedactOptions, RedactPattern } from './privacy/redact.js';
export type { CostSnapshot, CostGroupSnapshot, QualityGroupSnapshot, EvaluatorCounts } from './quality/stats.js';
export type { SegmentsSnapshot, SegmentSnapshot, SegmentRate, SegmentFlag, SegmentSignal } from './segments/segments.js';
export type { QualitySignal } from './sinks/quality.js';
export { PRICES, PRICES_CHECKED_AT, type ModelPrice } from './cost/prices.js';
export type { DetectOptions, SignalOptions } from './detect/options.js';
export type { DriftOptions } from './detect/drift.js';
export type { AnomalyEvent, AnomalyResolvedEvent, DriftEvent, DetectorsSnapshot, DetectorGroupSnapshot, SignalLabels } from './detect/sink.js';
export type { DetectorState, AlertReason } from './detect/detector.js';
export type { AlertSummary } from './record.js';
export { dashboardHandler } from './dashboard/handler.js';
export type { DashboardOptions, DashboardHandler, DashboardData, DashboardAlert, DashboardHistory } from './dashboard/handler.js';
