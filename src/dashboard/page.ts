/**
 * The dashboard page: one HTML document holding its styles, the chart library (uPlot, inlined) and the
 * script that draws the monitor's snapshots over time. It loads nothing from anywhere else: it reads
 * `<its path>/events` (Server-Sent Events) and falls back to polling `<its path>/data.json`.
 *
 * The browser keeps the history: every series is cut to `historyPoints` points, oldest first.
 * Latency and time to first chunk are percentiles of one provider/operation/model group (a percentile
 * of several groups cannot be made from theirs), picked in the page; rates and errors are over all
 * groups. Anomaly and drift alerts are listed and drawn as vertical lines on every chart.
 */

export interface PageInput {
  title: string;
  historyPoints: number;
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
  const config = JSON.stringify({ historyPoints: input.historyPoints, intervalMs: input.intervalMs });
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
.group { margin-left:auto; font-size:12px; color:var(--muted); }
.tiles { display:grid; grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:10px; padding:14px 20px 0; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:10px 12px; display:flex; flex-direction:column; }
.tile b { font-size:20px; font-variant-numeric:tabular-nums; }
.tile span { font-size:12px; color:var(--muted); }
.charts { display:grid; grid-template-columns:repeat(auto-fill, minmax(440px, 1fr)); gap:14px; padding:14px 20px; }
.chart { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:10px; min-width:0; }
.chart h3 { font-size:13px; margin:0 0 4px; font-weight:600; }
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

/** The browser side, plain ES2019 (no build step): receive snapshots, keep bounded history, draw. */
const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var config = window.LLM_VITALS_CONFIG;
  var base = location.pathname.replace(/\/+$/, '');
  var MAX = config.historyPoints;
  var COLORS = ['#1c7ed6', '#e8590c', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#c2255c', '#5c940d', '#495057'];
  var ALERT_COLOR = { anomaly: '#d6336c', drift: '#e8890c' };

  // History: one time axis (seconds) and one array per series key, all the same length.
  var times = [];
  var store = Object.create(null);
  var alerts = [];
  var alertSeqs = Object.create(null);
  var previous = null;
  var groups = [];
  var chosenGroup = null;
  var userChoseGroup = false;
  var lastSnapshot = null;
  var loopPeriod = null;

  function push(values) {
    var n = times.length;
    for (var key in values) {
      if (!(key in store)) {
        var filled = new Array(n);
        for (var i = 0; i < n; i++) filled[i] = null;
        store[key] = filled;
      }
    }
    times.push(values.__t);
    for (var k in store) store[k].push(k in values && values[k] != null && isFinite(values[k]) ? values[k] : null);
    if (times.length > MAX) {
      var drop = times.length - MAX;
      times.splice(0, drop);
      for (var k2 in store) store[k2].splice(0, drop);
    }
  }

  function groupId(g) { return g.provider + ' · ' + g.operation + ' · ' + (g.model || '(no model)'); }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function sumErrors(snap) {
    var byType = Object.create(null), total = 0;
    for (var i = 0; i < snap.groups.length; i++) {
      var errs = snap.groups[i].errors || {};
      for (var t in errs) { byType[t] = (byType[t] || 0) + errs[t]; total += errs[t]; }
    }
    return { byType: byType, total: total };
  }
  // snapshot.cost: US dollars of the calls whose model has a price; unknown until one has.
  function costOf(snap) {
    var c = snap.cost;
    return c && num(c.usd) != null && c.pricedCalls > 0 ? c.usd : null;
  }
  // snapshot.resources is the latest ResourceSample: fractions become percentages, bytes megabytes.
  function resourcePoint(r, values) {
    var MB = 1048576;
    if (r.process) {
      if (num(r.process.cpuCoreShare) != null) values['cpu|process (% of one core)'] = r.process.cpuCoreShare * 100;
      if (num(r.process.residentMemoryBytes) != null) values['mem|resident'] = r.process.residentMemoryBytes / MB;
      if (num(r.process.heapUsedBytes) != null) values['mem|heap used'] = r.process.heapUsedBytes / MB;
    }
    if (r.system && num(r.system.cpuUtilization) != null) values['cpu|host (% of all CPUs)'] = r.system.cpuUtilization * 100;
    if (r.eventLoop) {
      // The histogram reads the timer's period when idle: what it adds on top is how late the loop was.
      var period = num(r.eventLoop.resolutionMs) || 0;
      loopPeriod = period;
      var late = function (v) { return num(v) == null ? null : Math.max(0, v - period); };
      values['loop|p50'] = late(r.eventLoop.delayP50Ms);
      values['loop|p99'] = late(r.eventLoop.delayP99Ms);
      values['loop|max'] = late(r.eventLoop.delayMaxMs);
    }
    var gpus = Array.isArray(r.gpus) ? r.gpus : [];
    for (var i = 0; i < gpus.length; i++) {
      var g = gpus[i], name = 'GPU ' + g.index;
      if (num(g.utilization) != null) values['gpu|' + name + ' busy'] = g.utilization * 100;
      if (num(g.memoryUtilization) != null) values['gpu|' + name + ' memory used'] = g.memoryUtilization * 100;
    }
  }

  function pointOf(snap) {
    var t = Date.parse(snap.time) / 1000;
    var values = { __t: t, rps: num(snap.requestsPerSecond), tps: num(snap.tokensPerSecond), inflight: num(snap.inFlight) };
    for (var i = 0; i < snap.groups.length; i++) {
      var g = snap.groups[i], id = groupId(g);
      values['lat|' + id + '|p50'] = num(g.latencyMs.p50);
      values['lat|' + id + '|p95'] = num(g.latencyMs.p95);
      values['lat|' + id + '|p99'] = num(g.latencyMs.p99);
      values['ttfc|' + id + '|p50'] = num(g.timeToFirstChunkMs.p50);
      values['ttfc|' + id + '|p95'] = num(g.timeToFirstChunkMs.p95);
      values['ttfc|' + id + '|p99'] = num(g.timeToFirstChunkMs.p99);
    }
    // Errors are counters since start: per second is the change between two snapshots.
    var errs = sumErrors(snap);
    var cost = costOf(snap);
    if (previous) {
      var dt = t - Date.parse(previous.snap.time) / 1000;
      if (dt > 0) {
        for (var type in errs.byType) values['err|' + type] = Math.max(0, errs.byType[type] - (previous.errs.byType[type] || 0)) / dt;
        for (var old in previous.errs.byType) if (!(old in errs.byType)) values['err|' + old] = 0;
        if (cost != null && previous.cost != null) values['cost'] = Math.max(0, cost - previous.cost) / dt * 60;
      }
    }
    if (snap.resources && typeof snap.resources === 'object') resourcePoint(snap.resources, values);
    previous = { snap: snap, errs: errs, cost: cost };
    return values;
  }

  // ---- charts ----

  var charts = [];
  function keysLike(re) { return Object.keys(store).filter(function (k) { return re.test(k); }).sort(); }
  function label(key) { return key.slice(key.indexOf('|') + 1); }
  function fmt(unit) {
    return function (u, v) {
      if (v == null) return '–';
      var a = Math.abs(v);
      var s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
      return s + (unit ? ' ' + unit : '');
    };
  }

  var CHARTS = [
    { id: 'latency', title: function () { return 'Latency · ' + (chosenGroup || 'no calls yet'); }, unit: 'ms',
      keys: function () { return chosenGroup ? ['p50', 'p95', 'p99'].map(function (p) { return 'lat|' + chosenGroup + '|' + p; }) : []; },
      name: function (k) { return k.slice(k.lastIndexOf('|') + 1); } },
    { id: 'ttfc', title: function () { return 'Time to first chunk · ' + (chosenGroup || 'no calls yet'); }, unit: 'ms',
      keys: function () { return chosenGroup ? ['p50', 'p95', 'p99'].map(function (p) { return 'ttfc|' + chosenGroup + '|' + p; }) : []; },
      name: function (k) { return k.slice(k.lastIndexOf('|') + 1); } },
    { id: 'throughput', title: function () { return 'Throughput · all groups'; }, unit: '/s',
      keys: function () { return ['rps', 'tps']; },
      name: function (k) { return k === 'rps' ? 'requests/s' : 'output tokens/s'; }, scales: { tps: 'y2' } },
    { id: 'errors', title: function () { return 'Errors by type · per second'; }, unit: '/s',
      keys: function () { return keysLike(/^err\|/); }, name: label },
    { id: 'cost', title: function () { return 'Cost · USD per minute'; }, unit: '$/min', optional: true,
      keys: function () { return 'cost' in store ? ['cost'] : []; }, name: function () { return 'USD/min'; } },
    { id: 'cpu', title: function () { return 'CPU'; }, unit: '%', optional: true,
      keys: function () { return keysLike(/^cpu\|/); }, name: label },
    { id: 'memory', title: function () { return 'Memory · this process'; }, unit: 'MB', optional: true,
      keys: function () { return keysLike(/^mem\|/); }, name: label },
    { id: 'eventloop', title: function () { return 'Event-loop delay · how late a ' + (loopPeriod || '?') + ' ms timer fired'; }, unit: 'ms', optional: true,
      keys: function () { return keysLike(/^loop\|/); }, name: label },
    { id: 'gpu', title: function () { return 'GPU'; }, unit: '%', optional: true,
      keys: function () { return keysLike(/^gpu\|/); }, name: label },
  ];

  // Every chart has its place from the start, so one that appears later does not reorder the page.
  CHARTS.forEach(function (def) {
    var box = document.createElement('div');
    box.className = 'chart';
    box.id = 'chart-' + def.id;
    box.hidden = true;
    box.innerHTML = '<h3></h3><div class="plot"></div>';
    document.getElementById('charts').appendChild(box);
  });

  function alertMarkers() {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          var min = u.scales.x.min, max = u.scales.x.max;
          ctx.save();
          ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
          for (var i = 0; i < alerts.length; i++) {
            var t = alerts[i].time / 1000;
            if (min == null || t < min || t > max) continue;
            var x = Math.round(u.valToPos(t, 'x', true));
            ctx.strokeStyle = ALERT_COLOR[alerts[i].kind] || '#d6336c';
            ctx.setLineDash([6, 4]);
            ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
          }
          ctx.restore();
        }],
      },
    };
  }

  function build(def, keys) {
    var box = document.getElementById('chart-' + def.id);
    box.querySelector('h3').textContent = def.title();
    var plot = box.querySelector('.plot');
    plot.textContent = '';
    var y2 = keys.some(function (k) { return def.scales && def.scales[k] === 'y2'; });
    var series = [{}].concat(keys.map(function (k, i) {
      return { label: def.name(k), stroke: COLORS[i % COLORS.length], width: 1.5, scale: (def.scales && def.scales[k]) || 'y',
        value: fmt(def.id === 'throughput' ? '' : def.unit), spanGaps: true };
    }));
    var axes = [{}, { scale: 'y', values: function (u, vs) { return vs.map(function (v) { return fmt('')(u, v); }); }, size: 56 }];
    if (y2) axes.push({ scale: 'y2', side: 1, grid: { show: false }, size: 56 });
    var opts = {
      width: Math.max(300, plot.clientWidth || box.clientWidth - 20), height: 200,
      series: series, axes: axes,
      scales: { x: { time: true }, y: { range: function (u, mn, mx) { return [Math.min(0, mn || 0), (mx || 1) * 1.1]; } } },
      legend: { live: true }, cursor: { drag: { x: false, y: false } },
      plugins: [alertMarkers()],
    };
    var chart = { def: def, keys: keys, box: box, plot: new uPlot(opts, dataFor(def, keys), plot) };
    return chart;
  }

  function dataFor(def, keys) {
    var out = [times.slice()];
    for (var i = 0; i < keys.length; i++) {
      var src = store[keys[i]] || [];
      out.push(src.slice());
    }
    return out;
  }

  function redraw() {
    for (var i = 0; i < CHARTS.length; i++) {
      var def = CHARTS[i];
      var keys = def.keys();
      var chart = charts[i];
      var empty = keys.every(function (k) { return !(store[k] || []).some(function (v) { return v != null; }); });
      if (def.optional && (keys.length === 0 || empty)) {
        if (chart) chart.box.hidden = true;
        continue;
      }
      if (!chart || chart.keys.join('\n') !== keys.join('\n')) {
        if (chart) chart.plot.destroy();
        chart = charts[i] = build(def, keys);
      } else {
        chart.plot.setData(dataFor(def, keys));
      }
      chart.box.hidden = false;
      chart.box.querySelector('h3').textContent = def.title();
    }
  }

  window.addEventListener('resize', function () {
    for (var i = 0; i < charts.length; i++) {
      var c = charts[i];
      if (c && !c.box.hidden) c.plot.setSize({ width: Math.max(300, c.box.clientWidth - 20), height: 200 });
    }
  });

  // ---- tiles, group picker, alert list ----

  function text(id, value) { var el = document.getElementById(id); if (el) el.textContent = value; }
  function ms(v) { return v == null ? '–' : v >= 1000 ? (v / 1000).toFixed(2) + ' s' : Math.round(v) + ' ms'; }

  function updateGroups(snap) {
    var sorted = snap.groups.slice().sort(function (a, b) { return b.calls - a.calls; });
    var ids = sorted.map(groupId);
    if (!userChoseGroup || ids.indexOf(chosenGroup) < 0) chosenGroup = ids[0] || null;
    if (ids.join('\n') !== groups.join('\n')) {
      groups = ids;
      var select = document.getElementById('group');
      select.textContent = '';
      ids.forEach(function (id) { var o = document.createElement('option'); o.value = id; o.textContent = id; select.appendChild(o); });
    }
    document.getElementById('group').value = chosenGroup || '';
  }
  document.getElementById('group').addEventListener('change', function (e) {
    chosenGroup = e.target.value; userChoseGroup = true; redraw(); updateTiles(lastSnapshot);
  });

  function updateTiles(snap) {
    if (!snap) return;
    var group = null;
    for (var i = 0; i < snap.groups.length; i++) if (groupId(snap.groups[i]) === chosenGroup) group = snap.groups[i];
    text('tile-rps', snap.requestsPerSecond.toFixed(1));
    text('tile-tps', snap.tokensPerSecond.toFixed(0));
    text('tile-p95', ms(group && group.latencyMs.p95));
    text('tile-ttfc', ms(group && group.timeToFirstChunkMs.p50));
    var errKeys = keysLike(/^err\|/), errSum = 0, from = Math.max(0, times.length - Math.round(60000 / config.intervalMs));
    for (var k = 0; k < errKeys.length; k++) for (var j = from + 1; j < times.length; j++) {
      var v = store[errKeys[k]][j]; if (v != null) errSum += v * (times[j] - times[j - 1]);
    }
    text('tile-errors', Math.round(errSum));
    text('tile-calls', snap.calls + ' · ' + snap.inFlight);
    var cost = costOf(snap);
    document.getElementById('tile-cost-box').hidden = cost == null;
    if (cost != null) {
      text('tile-cost', '$' + (cost >= 1 ? cost.toFixed(2) : cost.toFixed(4)));
      text('tile-cost-note', 'cost · ' + snap.cost.pricedCalls + ' calls priced' + (snap.cost.unknownCostCalls ? ', ' + snap.cost.unknownCostCalls + ' unknown' : ''));
    }
    text('updated', 'updated ' + new Date(snap.time).toLocaleTimeString());
  }

  function fixed(v, d) { return v == null ? '' : Number(v).toFixed(d); }
  function value(v) { return v == null ? '' : fmt('')(null, v); }
  function addAlerts(list) {
    var added = false;
    for (var i = 0; i < list.length; i++) {
      var a = list[i];
      if (alertSeqs[a.seq]) continue;
      alertSeqs[a.seq] = true;
      alerts.push(a);
      added = true;
    }
    if (!added) return;
    alerts.sort(function (a, b) { return a.seq - b.seq; });
    if (alerts.length > 1000) alerts.splice(0, alerts.length - 1000);
    var body = document.querySelector('#alerts tbody');
    body.textContent = '';
    for (var j = alerts.length - 1; j >= 0; j--) {
      var al = alerts[j], tr = document.createElement('tr');
      tr.className = al.kind;
      tr.dataset.seq = al.seq;
      [new Date(al.time).toLocaleTimeString(), al.kind, al.signal, value(al.value), value(al.baseline), al.score == null ? '' : fixed(al.score, 2) + (al.threshold == null ? '' : ' / ' + fixed(al.threshold, 2)), al.group || '', al.detail || '']
        .forEach(function (cell) { var td = document.createElement('td'); td.textContent = cell; tr.appendChild(td); });
      body.appendChild(tr);
    }
    document.getElementById('no-alerts').hidden = alerts.length > 0;
    text('tile-alerts', alerts.length);
    for (var c = 0; c < charts.length; c++) if (charts[c]) charts[c].plot.redraw(false, false);
  }

  function onSnapshot(snap) {
    if (!snap || !snap.groups) return;
    lastSnapshot = snap;
    updateGroups(snap);
    push(pointOf(snap));
    redraw();
    updateTiles(snap);
  }

  // ---- transport: Server-Sent Events, polling when they are not there ----

  function status(cls, words) { var el = document.getElementById('status'); el.className = 'status ' + cls; el.textContent = words; }
  var pollTimer = null;
  function poll() {
    fetch(base + '/data.json', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (d) {
      status('live', 'polling'); addAlerts(d.alerts); onSnapshot(d.snapshot);
    }, function () { status('down', 'unreachable'); });
  }
  function startPolling() { if (!pollTimer) { poll(); pollTimer = setInterval(poll, config.intervalMs); } }
  if (typeof EventSource === 'function') {
    var source = new EventSource(base + '/events');
    source.addEventListener('open', function () { status('live', 'live'); });
    source.addEventListener('error', function () { status('down', 'reconnecting…'); });
    source.addEventListener('alerts', function (e) { addAlerts(JSON.parse(e.data)); });
    source.addEventListener('alert', function (e) { addAlerts([JSON.parse(e.data)]); });
    source.addEventListener('vitals', function (e) { status('live', 'live'); onSnapshot(JSON.parse(e.data)); });
  } else startPolling();

  // For tests and the curious: the charts and what they hold.
  window.llmVitals = {
    charts: function () {
      var out = {};
      charts.forEach(function (c) { if (c && !c.box.hidden) out[c.def.id] = { series: c.plot.series.slice(1).map(function (s) { return s.label; }), data: c.plot.data }; });
      return out;
    },
    plot: function (id) { for (var i = 0; i < charts.length; i++) if (charts[i] && charts[i].def.id === id) return charts[i].plot; return null; },
    alerts: function () { return alerts.slice(); },
    points: function () { return times.length; },
  };
})();
`;
