/**
 * The dashboard page: one HTML document holding its styles, the chart library (uPlot, inlined) and the
 * script that draws the monitor's snapshots over time. It loads nothing from anywhere else: it reads
 * `<its path>/events` (Server-Sent Events) and falls back to polling `<its path>/data.json`.
 *
 * The server keeps the history (history.ts) from the moment the dashboard is set up and sends it whole
 * on connect, then one point per interval; the page keeps what it was sent, as many points as the
 * server does, and shows the last 5 m, 15 m, 1 h, ... of it (the range control, up to what is kept).
 * Every axis says its unit. Latency and time to first chunk are percentiles of one provider/operation/model group (a percentile
 * of several groups cannot be made from theirs), picked in the page; rates and errors are over all
 * groups. Anomaly and drift alerts are listed and drawn as vertical lines on every chart.
 */

import { PAGE_SCRIPT } from './page-script.js';

export interface PageInput {
  title: string;
  intervalMs: number;
  /** uPlot's IIFE build. */
  chartScript: string;
  /** uPlot's stylesheet. */
  chartStyle: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Inline script and style text must not close their element early. */
const inline = (s: string) => s.replace(/<\/(script|style)/gi, '<\\/$1');

export function pageHtml(input: PageInput): string {
  const config = JSON.stringify({ intervalMs: input.intervalMs });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${inline(input.chartStyle)}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(input.title)}</h1>
  <span id="status" class="status">connecting…</span>
  <label class="range">range <select id="range"><option value="900">15 m</option></select></label>
  <label class="group">group <select id="group"></select></label>
</header>
<section id="tiles" class="tiles">
  <div class="tile"><b id="tile-rps">–</b><span>requests/s</span></div>
  <div class="tile"><b id="tile-tps">–</b><span>output tokens/s</span></div>
  <div class="tile"><b id="tile-p95">–</b><span>p95 latency</span></div>
  <div class="tile"><b id="tile-ttfc">–</b><span>p50 time to first chunk</span></div>
  <div class="tile"><b id="tile-errors">–</b><span>errors (last minute)</span></div>
  <div class="tile"><b id="tile-calls">–</b><span>calls · in flight</span></div>
  <div class="tile" id="tile-cost-box" hidden><b id="tile-cost">–</b><span id="tile-cost-note">cost</span></div>
  <div class="tile"><b id="tile-alerts">0</b><span>alerts</span></div>
</section>
<main id="charts" class="charts"></main>
<section class="alerts">
  <h2>Anomaly and drift alerts</h2>
  <div class="scroll"><table id="alerts">
    <thead><tr><th>time</th><th>kind</th><th>signal</th><th>value</th><th>baseline</th><th>score / threshold</th><th>labels</th><th>why</th></tr></thead>
    <tbody></tbody>
  </table></div>
  <p id="no-alerts" class="muted">No alerts yet.</p>
</section>
<footer class="muted">llm-vitals · charts by uPlot · <span id="updated"></span></footer>
<script>${inline(input.chartScript)}</script>
<script>window.LLM_VITALS_CONFIG = ${inline(config)};</script>
<script>${inline(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

const PAGE_STYLE = `
:root { --fg:#1d232b; --muted:#6b7480; --line:#e3e6ea; --bg:#f6f7f9; --card:#fff; --anomaly:#d6336c; --drift:#e8890c; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:var(--card); border-bottom:1px solid var(--line); }
h1 { font-size:18px; margin:0; font-weight:600; }
h2 { font-size:15px; margin:0 0 8px; }
.status { font-size:12px; padding:2px 8px; border-radius:10px; background:#eee; }
.status.live { background:#d3f9d8; color:#2b8a3e; }
.status.down { background:#ffe3e3; color:#c92a2a; }
.range { margin-left:auto; font-size:12px; color:var(--muted); }
.group { font-size:12px; color:var(--muted); }
.tiles { display:grid; grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:10px; padding:14px 20px 0; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:10px 12px; display:flex; flex-direction:column; }
.tile b { font-size:20px; font-variant-numeric:tabular-nums; }
.tile span { font-size:12px; color:var(--muted); }
.charts { display:grid; grid-template-columns:repeat(auto-fill, minmax(440px, 1fr)); gap:14px; padding:14px 20px; }
.chart { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:10px; min-width:0; }
.chart h3 { font-size:13px; margin:0 0 4px; font-weight:600; }
.chart h3 .unit { font-weight:400; color:var(--muted); }
.chart h3 .unit::before { content:'('; } .chart h3 .unit::after { content:')'; }
.chart .plot { width:100%; }
.alerts { margin:0 20px 14px; background:var(--card); border:1px solid var(--line); border-radius:6px; padding:12px; }
.scroll { max-height:420px; overflow:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; }
thead th { position:sticky; top:0; background:var(--card); }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); font-variant-numeric:tabular-nums; }
tr.anomaly td:nth-child(2) { color:var(--anomaly); font-weight:600; }
tr.drift td:nth-child(2) { color:var(--drift); font-weight:600; }
.muted { color:var(--muted); font-size:12px; }
footer { padding:0 20px 16px; }
[hidden] { display:none !important; }
`;
