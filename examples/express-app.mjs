/**
 * An Express app whose routes call an LLM, observed by llm-vitals: each call carries the route
 * template (`/chat/:conversation`), the method and a `tenant` attribute; each response gets
 * `Server-Timing: llm;dur=<ms>`; Prometheus scrapes `/metrics` and the live dashboard is at
 * `/llm-vitals`, both behind a bearer token when METRICS_TOKEN is set.
 *
 *   OPENAI_API_KEY=sk-... METRICS_TOKEN=change-me node examples/express-app.mjs
 *   curl -X POST localhost:3000/chat/42 -H 'content-type: application/json' -H 'x-tenant: acme' -d '{"message":"Hi"}'
 *   curl -H 'authorization: Bearer change-me' localhost:3000/metrics
 *
 * PORT (default 3000), OPENAI_BASE_URL and OPENAI_MODEL are read from the environment. Written for
 * Express 5; the middleware also uses only what Express 4 has.
 */
import express from 'express';
import OpenAI from 'openai';
import { createMonitor } from 'llm-vitals';

const monitor = createMonitor({ serviceName: 'chat-api' });
const openai = monitor.wrap(new OpenAI());
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const token = process.env.METRICS_TOKEN;

const app = express();
app.use(express.json());
app.use(
  monitor.express({
    // Keep attribute values bounded (a tenant, a plan), never a user id: they become label values.
    attributes: (req) => ({ tenant: req.get('x-tenant') ?? 'anonymous' }),
    metricsPath: '/metrics',
    dashboardPath: '/llm-vitals',
    guard: (req) => token === undefined || req.get('authorization') === `Bearer ${token}`,
  }),
);

app.post('/chat/:conversation', async (req, res, next) => {
  try {
    const completion = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: String(req.body?.message ?? 'Hello') }],
    });
    res.json({ conversation: req.params.conversation, reply: completion.choices[0].message.content });
  } catch (error) {
    next(error);
  }
});

// Streams the model's answer to the client as Server-Sent Events while llm-vitals times it.
app.post('/chat/:conversation/stream', async (req, res, next) => {
  try {
    const stream = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: String(req.body?.message ?? 'Hello') }],
      stream: true,
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content;
      if (text) res.write(`data: ${JSON.stringify(text)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  } catch (error) {
    if (res.headersSent) res.destroy(error);
    else next(error);
  }
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening on ${url}`);
  console.log(`metrics at ${url}/metrics, dashboard at ${url}/llm-vitals`);
});

// Stop taking requests, then end the dashboard's event streams so open connections close.
async function stop() {
  server.close(() => process.exit(0));
  await monitor.shutdown();
  server.closeIdleConnections();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
