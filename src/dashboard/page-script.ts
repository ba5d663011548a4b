/**
 * The dashboard page's script (page.ts inlines it): plain ES2019 run in the browser, no build step.
 * It receives the server's history and points, keeps what it was sent, and draws the charts, the
 * tiles and the alert list.
 */
/** The browser side, plain ES2019 (no build step): receive snapshots, keep bounded history, draw. */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var config = window.LLM_VITALS_CONFIG;
  var base = location.pathname.replace(/\/+$/, '');
  var COLORS = ['#1c7ed6', '#e8590c', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#c2255c', '#5c940d', '#495057'];
  var ALERT_COLOR = { anomaly: '#d6336c', drift: '#e8890c' };
  var RANGES = [[300, '5 m'], [900, '15 m'], [3600, '1 h'], [6 * 3600, '6 h'], [24 * 3600, '24 h']];
  var DEFAULT_RANGE = 900;

  // History, as the server keeps it (series.ts, history.ts): one time axis (seconds) and one array per
  // series key, all the same length, at most 'capacity' points.
  var times = [];
  var store = Object.create(null);
  var capacity = 3600;
  var alerts = [];
  var alertSeqs = Object.create(null);
  var groups = [];
  var chosenGroup = null;
  var userChoseGroup = false;
  var rangeSeconds = DEFAULT_RANGE;
  var userChoseRange = false;
  var lastSnapshot = null;

  function loadHistory(h) {
    if (!h || !Array.isArray(h.times)) return;
    capacity = h.capacity || capacity;
    times = h.times.map(function (ms) { return ms / 1000; });
    store = Object.create(null);
    for (var key in h.series) store[key] = h.series[key].slice();
    rangeOptions(capacity * (h.intervalMs || config.intervalMs) / 1000);
  }

  function push(point) {
    var t = point.time / 1000, values = point.values || {};
    // The history sent on connect may already hold it.
    if (times.length > 0 && t <= times[times.length - 1]) return;
    var n = times.length;
    for (var key in values) {
      if (!(key in store)) {
        var filled = new Array(n);
        for (var i = 0; i < n; i++) filled[i] = null;
        store[key] = filled;
      }
    }
    times.push(t);
    for (var k in store) store[k].push(k in values && values[k] != null && isFinite(values[k]) ? values[k] : null);
    if (times.length > capacity) {
      var drop = times.length - capacity;
      times.splice(0, drop);
      for (var k2 in store) store[k2].splice(0, drop);
    }
  }

  function groupId(g) { return g.provider + ' · ' + g.operation + ' · ' + (g.model || '(no model)'); }
  // snapshot.cost: US dollars of the calls whose model has a price; unknown until one has.
  function costOf(snap) {
    var c = snap.cost;
    return c && typeof c.usd === 'number' && isFinite(c.usd) && c.pricedCalls > 0 ? c.usd : null;
  }

  // ---- time range ----

  function spanWords(seconds) {
    return seconds >= 3600 ? +(seconds / 3600).toFixed(1) + ' h' : seconds >= 60 ? +(seconds / 60).toFixed(1) + ' m' : Math.round(seconds) + ' s';
  }
  function rangeOptions(kept) {
    var options = RANGES.filter(function (r) { return r[0] <= kept + 0.5; });
    if (options.length === 0 || options[options.length - 1][0] < kept - 0.5) options.push([kept, 'all ' + spanWords(kept)]);
    var select = document.getElementById('range');
    var wanted = options.map(function (r) { return r[0] + ':' + r[1]; }).join('\n');
    if (select.dataset.options !== wanted) {
      select.dataset.options = wanted;
      select.textContent = '';
      options.forEach(function (r) { var o = document.createElement('option'); o.value = String(r[0]); o.textContent = r[1]; select.appendChild(o); });
    }
    var values = options.map(function (r) { return r[0]; });
    if (!userChoseRange || values.indexOf(rangeSeconds) < 0) {
      rangeSeconds = values.indexOf(DEFAULT_RANGE) >= 0 ? DEFAULT_RANGE : values[values.length - 1];
    }
    select.value = String(rangeSeconds);
  }
  document.getElementById('range').addEventListener('change', function (e) {
    rangeSeconds = Number(e.target.value); userChoseRange = true; redraw(); updateTiles(lastSnapshot);
  });
  // The first point inside the chosen range, counted back from the newest.
  function windowStart() {
    if (times.length === 0) return 0;
    var from = times[times.length - 1] - rangeSeconds, i = times.length - 1;
    while (i > 0 && times[i - 1] >= from) i--;
    return i;
  }

  // ---- charts ----

  var charts = [];
  function keysLike(re) { return Object.keys(store).filter(function (k) { return re.test(k); }).sort(); }
  function label(key) { return key.slice(key.indexOf('|') + 1); }
  function number(v) {
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : a === 0 ? '0' : v.toPrecision(2);
  }
  function fmt(unit) {
    return function (u, v) { return v == null ? '–' : number(v) + (unit ? ' ' + unit : ''); };
  }

  // unit: the y axis and every series in it; unit2 and scales: a second axis on the right.
  var CHARTS = [
    { id: 'latency', title: function () { return 'Latency · ' + (chosenGroup || 'no calls yet'); }, unit: 'ms',
      keys: function () { return chosenGroup ? ['p50', 'p95', 'p99'].map(function (p) { return 'lat|' + chosenGroup + '|' + p; }) : []; },
      name: function (k) { return k.slice(k.lastIndexOf('|') + 1); } },
    { id: 'ttfc', title: function () { return 'Time to first chunk · ' + (chosenGroup || 'no calls yet'); }, unit: 'ms',
      keys: function () { return chosenGroup ? ['p50', 'p95', 'p99'].map(function (p) { return 'ttfc|' + chosenGroup + '|' + p; }) : []; },
      name: function (k) { return k.slice(k.lastIndexOf('|') + 1); } },
    { id: 'throughput', title: function () { return 'Throughput · all groups'; }, unit: 'requests/s', unit2: 'tokens/s',
      keys: function () { return ['rps', 'tps']; },
      name: function (k) { return k === 'rps' ? 'requests/s' : 'output tokens/s'; }, scales: { tps: 'y2' } },
    { id: 'errors', title: function () { return 'Errors by type · all groups'; }, unit: 'errors/s',
      keys: function () { return keysLike(/^err\|/); }, name: label },
    { id: 'cost', title: function () { return 'Cost'; }, unit: 'USD/min', optional: true,
      keys: function () { return 'cost' in store ? ['cost'] : []; }, name: function () { return 'spend'; } },
    { id: 'cpu', title: function () { return 'CPU'; }, unit: '%', optional: true,
      keys: function () { return keysLike(/^cpu\|/); }, name: label },
    { id: 'memory', title: function () { return 'Memory · this process'; }, unit: 'MB', optional: true,
      keys: function () { return keysLike(/^mem\|/); }, name: label },
    { id: 'eventloop', title: function () { return 'Event-loop delay · how late a ' + (loopPeriod() || '?') + ' ms timer fired'; }, unit: 'ms', optional: true,
      keys: function () { return keysLike(/^loop\|/); }, name: label },
    { id: 'gpu', title: function () { return 'GPU'; }, unit: '%', optional: true,
      keys: function () { return keysLike(/^gpu\|/); }, name: label },
  ];
  function loopPeriod() {
    var r = lastSnapshot && lastSnapshot.resources;
    return r && r.eventLoop && typeof r.eventLoop.resolutionMs === 'number' ? r.eventLoop.resolutionMs : null;
  }

  // Every chart has its place from the start, so one that appears later does not reorder the page.
  CHARTS.forEach(function (def) {
    var box = document.createElement('div');
    box.className = 'chart';
    box.id = 'chart-' + def.id;
    box.hidden = true;
    box.innerHTML = '<h3><span class="title"></span> <span class="unit"></span></h3><div class="plot"></div>';
    box.querySelector('.unit').textContent = def.unit2 ? def.unit + ' · ' + def.unit2 : def.unit;
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

  var PLOT_HEIGHT = 220;
  var AXIS_FONT = '11px system-ui, sans-serif';
  var LABEL_FONT = '12px system-ui, sans-serif';
  function plotWidth(box) { return Math.max(200, box.querySelector('.plot').clientWidth || box.clientWidth - 20); }

  function build(def, keys) {
    var box = document.getElementById('chart-' + def.id);
    var plot = box.querySelector('.plot');
    plot.textContent = '';
    var y2 = keys.some(function (k) { return def.scales && def.scales[k] === 'y2'; });
    var series = [{ label: 'time', value: function (u, v) { return v == null ? '–' : new Date(v * 1000).toLocaleTimeString(); } }].concat(keys.map(function (k, i) {
      var scale = (def.scales && def.scales[k]) || 'y';
      return { label: def.name(k), stroke: COLORS[i % COLORS.length], width: 1.5, scale: scale,
        value: fmt(scale === 'y2' ? def.unit2 : def.unit), spanGaps: true };
    }));
    var tick = function (u, vs) { return vs.map(function (v) { return v == null ? '' : number(v); }); };
    // As wide as its longest tick label, so the unit beside it never overlaps the numbers.
    var size = function (u, values) {
      var longest = 0;
      (values || []).forEach(function (v) { if (v != null) longest = Math.max(longest, String(v).length); });
      return Math.max(36, 12 + longest * 7);
    };
    var axes = [
      { label: 'local time', labelSize: 18, labelFont: LABEL_FONT, font: AXIS_FONT },
      { scale: 'y', label: def.unit, labelSize: 18, labelFont: LABEL_FONT, font: AXIS_FONT, values: tick, size: size },
    ];
    if (y2) axes.push({ scale: 'y2', side: 1, label: def.unit2, labelSize: 18, labelFont: LABEL_FONT, font: AXIS_FONT, values: tick, size: size, grid: { show: false } });
    var zeroBased = function (u, mn, mx) { return [Math.min(0, mn || 0), (mx || 1) * 1.1]; };
    var scales = { x: { time: true }, y: { range: zeroBased } };
    if (y2) scales.y2 = { range: zeroBased };
    var opts = {
      width: plotWidth(box), height: PLOT_HEIGHT,
      series: series, axes: axes, scales: scales,
      legend: { live: true }, cursor: { drag: { x: false, y: false } },
      plugins: [alertMarkers()],
    };
    return { def: def, keys: keys, box: box, plot: new uPlot(opts, dataFor(keys), plot) };
  }

  function dataFor(keys) {
    var from = windowStart();
    var out = [times.slice(from)];
    for (var i = 0; i < keys.length; i++) out.push((store[keys[i]] || []).slice(from));
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
      var box = document.getElementById('chart-' + def.id);
      box.querySelector('.title').textContent = def.title();
      // Shown before it is built, so the plot takes the width of its card.
      box.hidden = false;
      if (!chart || chart.keys.join('\n') !== keys.join('\n')) {
        if (chart) chart.plot.destroy();
        chart = charts[i] = build(def, keys);
      } else {
        chart.plot.setData(dataFor(keys));
        var width = plotWidth(box);
        if (Math.abs(width - chart.plot.width) > 1) chart.plot.setSize({ width: width, height: PLOT_HEIGHT });
      }
    }
  }

  // A card that changes width (window resized, scrollbar appeared, grid reflowed) resizes its plot.
  if (typeof ResizeObserver === 'function') {
    var resized = new ResizeObserver(function () {
      for (var i = 0; i < charts.length; i++) {
        var c = charts[i];
        if (!c || c.box.hidden) continue;
        var width = plotWidth(c.box);
        if (Math.abs(width - c.plot.width) > 1) c.plot.setSize({ width: width, height: PLOT_HEIGHT });
      }
    });
    resized.observe(document.getElementById('charts'));
  }
  window.addEventListener('resize', function () { redraw(); });

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

  // Errors in the last minute of the history: each point's rate times the seconds it covers.
  function errorsLastMinute() {
    if (times.length < 2) return 0;
    var from = times[times.length - 1] - 60, errKeys = keysLike(/^err\|/), sum = 0;
    for (var k = 0; k < errKeys.length; k++) {
      var column = store[errKeys[k]];
      for (var j = times.length - 1; j > 0 && times[j] > from; j--) if (column[j] != null) sum += column[j] * (times[j] - times[j - 1]);
    }
    return Math.round(sum);
  }

  function updateTiles(snap) {
    if (!snap) return;
    var group = null;
    for (var i = 0; i < snap.groups.length; i++) if (groupId(snap.groups[i]) === chosenGroup) group = snap.groups[i];
    text('tile-rps', snap.requestsPerSecond.toFixed(1));
    text('tile-tps', snap.tokensPerSecond.toFixed(0));
    text('tile-p95', ms(group && group.latencyMs.p95));
    text('tile-ttfc', ms(group && group.timeToFirstChunkMs.p50));
    text('tile-errors', errorsLastMinute());
    text('tile-calls', snap.calls + ' · ' + snap.inFlight);
    var cost = costOf(snap);
    document.getElementById('tile-cost-box').hidden = cost == null;
    if (cost != null) {
      text('tile-cost', '$' + (cost >= 1 ? cost.toFixed(2) : cost.toFixed(4)));
      text('tile-cost-note', 'cost · ' + snap.cost.pricedCalls + ' calls priced' + (snap.cost.unknownCostCalls ? ', ' + snap.cost.unknownCostCalls + ' unknown' : ''));
    }
    var kept = times.length > 1 ? times[times.length - 1] - times[0] : 0;
    text('updated', 'updated ' + new Date(snap.time).toLocaleTimeString() + ' · history since ' +
      (times.length ? new Date(times[0] * 1000).toLocaleTimeString() : '–') + ' (' + spanWords(kept) + ')');
  }

  function fixed(v, d) { return v == null ? '' : Number(v).toFixed(d); }
  function value(v) { return v == null ? '' : number(v); }
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
    drawAlerts();
  }

  // An anomaly incident closed: its row says so (the alert stays in the list).
  function resolveAlert(update) {
    for (var i = 0; i < alerts.length; i++) if (alerts[i].seq === update.seq) alerts[i].resolvedAt = update.resolvedAt;
    drawAlerts();
  }

  function drawAlerts() {
    var body = document.querySelector('#alerts tbody');
    body.textContent = '';
    for (var j = alerts.length - 1; j >= 0; j--) {
      var al = alerts[j], tr = document.createElement('tr');
      tr.className = al.kind;
      tr.dataset.seq = al.seq;
      [new Date(al.time).toLocaleTimeString(), al.kind, al.signal, value(al.value), value(al.baseline), al.score == null ? '' : fixed(al.score, 2) + (al.threshold == null ? '' : ' / ' + fixed(al.threshold, 2)), (al.group || '') + (al.related && al.related.length ? ' (also ' + al.related.join(', ') + ')' : ''), (al.detail || '') + (al.resolvedAt ? ' · resolved ' + new Date(al.resolvedAt).toLocaleTimeString() : '')]
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
    redraw();
    updateTiles(snap);
  }

  // ---- transport: Server-Sent Events, polling when they are not there ----

  function status(cls, words) { var el = document.getElementById('status'); el.className = 'status ' + cls; el.textContent = words; }
  var pollTimer = null;
  function poll() {
    fetch(base + '/data.json', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (d) {
      status('live', 'polling'); addAlerts(d.alerts); loadHistory(d.history); onSnapshot(d.snapshot);
    }, function () { status('down', 'unreachable'); });
  }
  function startPolling() { if (!pollTimer) { poll(); pollTimer = setInterval(poll, config.intervalMs); } }
  if (typeof EventSource === 'function') {
    var source = new EventSource(base + '/events');
    source.addEventListener('open', function () { status('live', 'live'); });
    source.addEventListener('error', function () { status('down', 'reconnecting…'); });
    source.addEventListener('alerts', function (e) { addAlerts(JSON.parse(e.data)); });
    source.addEventListener('alert', function (e) { addAlerts([JSON.parse(e.data)]); });
    source.addEventListener('resolved', function (e) { resolveAlert(JSON.parse(e.data)); });
    // On every (re)connect: the whole kept history, so a gap while disconnected fills in.
    source.addEventListener('history', function (e) { loadHistory(JSON.parse(e.data)); });
    source.addEventListener('point', function (e) { push(JSON.parse(e.data)); });
    source.addEventListener('vitals', function (e) { status('live', 'live'); onSnapshot(JSON.parse(e.data)); });
  } else startPolling();

  // For tests and the curious: the charts and what they hold.
  window.llmVitals = {
    charts: function () {
      var out = {};
      charts.forEach(function (c) {
        if (c && !c.box.hidden) out[c.def.id] = { series: c.plot.series.slice(1).map(function (s) { return s.label; }), data: c.plot.data,
          axes: c.plot.axes.map(function (a) { return a.label; }), width: c.plot.width, cardWidth: c.box.clientWidth };
      });
      return out;
    },
    plot: function (id) { for (var i = 0; i < charts.length; i++) if (charts[i] && charts[i].def.id === id) return charts[i].plot; return null; },
    alerts: function () { return alerts.slice(); },
    points: function () { return times.length; },
    range: function () { return rangeSeconds; },
  };
})();
`;
