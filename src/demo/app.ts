/**
 * The demo's app: a small Express service whose routes call the embedded LLM through the official
 * `openai` client, wrapped by the monitor, the way a user's app would, with `monitor.express()` in front
 * of its routes, which also serves the Prometheus exposition at `/metrics` and the live dashboard at
 * `/llm-vitals`.
 *
 * Routes:
 * - `POST /chat/:conversationId` `{ message, stream? }`: a chat turn on gpt-4o-mini; with `stream`, the
 *   answer is streamed to the caller as it arrives.
 * - `POST /summarize` `{ text }`: a longer, non-streaming call on gpt-4o.
 * An LLM error reaches the caller as the same status (429 stays 429), as a real service would pass it on.
 *
 * `express` and `openai` are imported here and nowhere else in the package, and only when the demo runs.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Monitor } from '../api.js';

export interface DemoApp {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DemoAppOptions {
  monitor: Monitor;
  /** The embedded LLM's base URL. */
  llmUrl: string;
  /** Port on 127.0.0.1; 0 for any free one. */
  port: number;
}

/** Thrown when a package the demo needs is not installed; the message says which and how to add it. */
export class MissingDemoPackage extends Error {}

/** `importer()`, or a MissingDemoPackage naming `name` when the package is not installed. */
export async function importDemoPackage<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || (error as { code?: string }).code === 'MODULE_NOT_FOUND') {
      throw new MissingDemoPackage(`the demo needs the "${name}" package: npm install ${name}`);
    }
    throw error;
  }
}

export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const { default: express } = await importDemoPackage('express', () => import('express'));
  const { default: OpenAI } = await importDemoPackage('openai', () => import('openai'));
  const { monitor } = options;
  // maxRetries 0: the demo wants each rate limit the model answers to be seen, not retried away.
  const openai = monitor.wrap(new OpenAI({ apiKey: 'demo-key-not-sent-anywhere', baseURL: options.llmUrl, maxRetries: 0, timeout: 30_000 }));

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  // Route templates on every LLM call, Server-Timing, the exposition and the dashboard.
  app.use(monitor.express({ metricsPath: '/metrics', dashboardPath: '/llm-vitals' }));

  app.post('/chat/:conversationId', async (req, res) => {
    const message = String(req.body?.message ?? '');
    const messages = [
      { role: 'system' as const, content: 'You are a helpful assistant for an online shop. Answer briefly.' },
      { role: 'user' as const, content: message },
    ];
    try {
      if (req.body?.stream === true) {
        const stream = await openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages,
          stream: true,
          stream_options: { include_usage: true },
        });
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.delta?.content;
          if (text) res.write(text);
        }
        res.end();
      } else {
        const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
        res.json({ answer: completion.choices[0]?.message?.content ?? '' });
      }
    } catch (error) {
      passOn(res, error);
    }
  });

  app.post('/summarize', async (req, res) => {
    const text = String(req.body?.text ?? '');
    try {
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'Summarize the customer conversation in three sentences.' },
          { role: 'user', content: text },
        ],
        max_tokens: 300,
      });
      res.json({ summary: completion.choices[0]?.message?.content ?? '' });
    } catch (error) {
      passOn(res, error);
    }
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, '127.0.0.1');
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      if (closing === undefined) {
        closing = new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      return closing;
    },
  };
}

function passOn(res: import('express').Response, error: unknown): void {
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 502;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).json({ error: error instanceof Error ? error.message : String(error) });
}
