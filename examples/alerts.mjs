/**
 * Alert handling: the monitor's detectors watch every call signal (latency, time to first chunk,
 * tokens, errors, ...) and report `anomaly` (an incident opened: one per incident, however long it
 * lasts and whether the model's or a route's detectors saw it), `anomaly_resolved` (it closed) and
 * `drift` (a signal's distribution moved away from its reference) events. Here each is logged and,
 * when ALERT_WEBHOOK_URL is set, posted as `{ "text": ... }` (what Slack and most chat webhooks take).
 *
 *   OPENAI_API_KEY=sk-... ALERT_WEBHOOK_URL=https://hooks.slack.com/services/... node examples/alerts.mjs
 *
 * The loop at the end stands in for your app's traffic: CALLS (default 120) short calls, the second
 * half asking longer questions, so the prompt length drifts. Small detector windows let a short
 * script show alerts; the defaults (warmup 60, drift windows of 500) suit a service.
 */
import OpenAI from 'openai';
import { createMonitor } from 'llm-vitals';

const monitor = createMonitor({
  serviceName: 'alerts-example',
  detect: { warmup: 30, cooldown: 10, drift: { reference: 40, window: 40, every: 10 } },
});
const openai = monitor.wrap(new OpenAI());
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const webhook = process.env.ALERT_WEBHOOK_URL;
const pending = new Set();

const where = (labels) => Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(' ');
const figure = (value) => (typeof value !== 'number' ? JSON.stringify(value) : value >= 10 ? value.toFixed(0) : String(Number(value.toPrecision(3))));

monitor.on('anomaly', (alert) => {
  notify(
    `LLM anomaly: ${alert.signal} ${figure(alert.value)} against ${alert.baseline === undefined ? 'its recent spread' : `a typical ${figure(alert.baseline)}`} ` +
      `(${alert.reason}, score ${alert.score.toFixed(2)}) for ${where(alert.labels)}`,
  );
});

monitor.on('anomaly_resolved', (alert) => {
  notify(`LLM anomaly resolved: ${alert.signal} (${alert.cause}, after ${((alert.time - alert.firedAt) / 1000).toFixed(0)} s) for ${where(alert.labels)}`);
});

monitor.on('drift', (alert) => {
  notify(
    `LLM drift: ${alert.signal} moved from ${figure(alert.baseline)} to ${figure(alert.value)} ` +
      `(${alert.statistic} ${alert.statisticValue.toFixed(3)} over ${alert.statisticThreshold}) for ${where(alert.labels)}`,
  );
});

let sent = 0;

// Listeners run on the monitor's path: hand the slow part (the webhook) off, never await it here.
function notify(text) {
  sent++;
  console.log(`[alert] ${text}`);
  if (webhook === undefined) return;
  const post = fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) })
    .then((res) => {
      if (!res.ok) console.error(`[alert] webhook answered ${res.status}`);
    })
    .catch((error) => console.error(`[alert] webhook failed: ${error.message}`))
    .finally(() => pending.delete(post));
  pending.add(post);
}

const calls = Number(process.env.CALLS ?? 120);
const topics = ['tea', 'rain', 'maps', 'bees', 'clocks', 'rivers', 'glass', 'salt', 'kites', 'moss'];
for (let i = 0; i < calls; i++) {
  const topic = topics[i % topics.length];
  // From the second half on, every question carries a long context: the prompt length drifts.
  const context = i < calls / 2 ? '' : `Context: ${`notes about ${topic} and why it matters. `.repeat(15 + (i % 7))}\n`;
  const question = `${context}In ${3 + (i % 5)} words, what is interesting about ${topic}?`;
  try {
    await openai.chat.completions.create({ model, messages: [{ role: 'user', content: question }], max_tokens: 8 });
  } catch (error) {
    console.error(`call ${i} failed: ${error.message}`);
  }
}

await monitor.shutdown();
await Promise.all(pending);
console.log(`${calls} calls done, ${sent} alerts sent`);
