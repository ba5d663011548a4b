/**
 * What the demo prints: the table of injected incidents against the first alert that caught each, and
 * the small formatters of its progress lines (clock, counts, durations, a signal's value in its units).
 */
/** An alert as the demo heard it. */
export interface HeardAlert {
  kind: 'anomaly' | 'drift';
  signal: string;
  /** Milliseconds from the start of the traffic to the moment the monitor emitted it. */
  atMs: number;
  /** Milliseconds from the start of the traffic to the start of the call that raised it, when known. */
  causeMs: number | undefined;
  /** The phase an anomaly's call started in; the phase a drift (or an alert of no known call) fired in. */
  phase: string;
  score: number;
  /** The observed value (anomaly) or the current window's median (drift); undefined for categories. */
  value: number | undefined;
  baseline: number | undefined;
  /** The model and route the alert is about. */
  group: string | undefined;
}

export interface IncidentResult {
  label: string;
  startMs: number;
  endMs: number;
  /** The first alert that caught it, if one did. */
  detection: HeardAlert | undefined;
}

export interface TrafficReport {
  sent: number;
  ok: number;
  failed: number;
  /** Failed requests by cause: the HTTP status the app answered, `network`, or `cut at the end`. */
  failures: Record<string, number>;
  /** Arrivals skipped because `maxInFlight` requests were already open. */
  shed: number;
  incidents: IncidentResult[];
  alerts: HeardAlert[];
  /** Alerts that caught no incident. */
  unmatched: HeardAlert[];
  /** True when stopped early (Ctrl-C). */
  interrupted: boolean;
}

/** The table printed at the end. */
export function incidentTable(report: TrafficReport): string[] {
  const rows = [['injected incident', 'from', 'to', 'first alert', 'delay', 'by']];
  for (const i of report.incidents) {
    const d = i.detection;
    rows.push([
      i.label,
      `${(i.startMs / 1000).toFixed(1)} s`,
      `${(i.endMs / 1000).toFixed(1)} s`,
      d ? `${(d.atMs / 1000).toFixed(1)} s` : 'not detected',
      d ? `${((d.atMs - i.startMs) / 1000).toFixed(1)} s` : '-',
      d ? `${d.kind} ${d.signal}${d.group ? ` (${d.group})` : ''}` : '-',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `  ${r.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`.trimEnd();
  const out = [line(rows[0]), `  ${widths.map((w) => '-'.repeat(w)).join('  ')}`, ...rows.slice(1).map(line)];
  const caught = report.incidents.filter((i) => i.detection).length;
  out.push('');
  out.push(`  detected ${caught} of ${report.incidents.length} incidents; ${report.alerts.length} alerts in all, ${report.unmatched.length} outside any incident`);
  for (const a of report.unmatched.slice(0, 5)) {
    out.push(`    unmatched: ${a.kind} ${a.signal} at ${(a.atMs / 1000).toFixed(1)} s (${a.causeMs !== undefined ? 'its call started in' : 'during'} ${a.phase})`);
  }
  if (report.unmatched.length > 5) out.push(`    ... and ${report.unmatched.length - 5} more`);
  return out;
}

export function clock(ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(5)} s]`;
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width);
}

export function ms(v: number | undefined): string {
  if (v === undefined) return '-';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

export function formatValue(signal: string, value: number): string {
  if (/^(latency|time_to_first_chunk|time_per_output_chunk|event_loop_delay)$/.test(signal)) return ms(value);
  if (signal === 'cost') return `$${value.toPrecision(2)}`;
  if (signal.endsWith('_rate')) return `${(value * 100).toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
