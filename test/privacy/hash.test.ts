/**
 * User identifiers as attributes: keyed hashes (HMAC-SHA256), never raw. Through the real Express
 * middleware (its `attributes` option) and the real `openai` client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import OpenAI from 'openai';
import { createMonitor, type Monitor, type MonitorOptions } from '../../src/index.js';
import { HASH_KEY_ENV, IdentifierHasher } from '../../src/privacy/hash.js';
import { startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';

const KEY = 'a-test-key-of-32-characters-long';
const expected = (value: string, key = KEY) => `hmac:${createHmac('sha256', key).update(value).digest('hex').slice(0, 32)}`;

describe('IdentifierHasher', () => {
  it('gives the HMAC-SHA256 pseudonym, stable for one key and different for another', () => {
    const a = new IdentifierHasher(KEY);
    expect(a.hash('alice@example.com')).toBe(expected('alice@example.com'));
    expect(a.hash('alice@example.com')).toBe(a.hash('alice@example.com'));
    expect(new IdentifierHasher('another-key-of-enough-length').hash('alice@example.com')).not.toBe(a.hash('alice@example.com'));
  });

  it('never hashes a pseudonym twice', () => {
    const a = new IdentifierHasher(KEY);
    const once = a.hash('u1');
    expect(a.hash(once)).toBe(once);
  });

  it('takes the key from LLM_VITALS_HASH_KEY, else makes a random one', () => {
    process.env[HASH_KEY_ENV] = KEY;
    try {
      expect(new IdentifierHasher(undefined).hash('u1')).toBe(expected('u1'));
    } finally {
      delete process.env[HASH_KEY_ENV];
    }
    const r1 = new IdentifierHasher(undefined).hash('u1');
    const r2 = new IdentifierHasher(undefined).hash('u1');
    expect(r1).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(r1).not.toBe(r2);
  });

  it('hashes only the identifier attributes, in a copy of a frozen context, once per context', () => {
    const a = new IdentifierHasher(KEY);
    const context = Object.freeze({ 'user.id': 'u1', tenant: 'acme' });
    const hashed = a.context(context);
    expect(hashed).toEqual({ 'user.id': expected('u1'), tenant: 'acme' });
    expect(Object.isFrozen(hashed)).toBe(true);
    expect(a.context(context)).toBe(hashed);
    expect(a.context(hashed)).toBe(hashed);
    const plain = { tenant: 'acme' };
    expect(a.context(plain)).toBe(plain);
  });
});

describe('through the Express middleware', () => {
  let llm: OpenAITestServer;
  let monitor: Monitor;
  let app: Server | undefined;

  beforeAll(async () => {
    llm = await startOpenAIServer();
  });
  afterAll(async () => {
    await llm.close();
  });
  afterEach(async () => {
    await monitor?.shutdown();
    if (app) await new Promise<void>((resolve) => (app!.closeAllConnections(), app!.close(() => resolve())));
    app = undefined;
  });

  async function run(options: MonitorOptions, attributes: Record<string, string>) {
    monitor = createMonitor({ serviceName: 'hash', otel: false, resources: false, ...options });
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
    const server = express();
    server.use(monitor.express({ attributes: () => attributes }));
    server.get('/chat', async (_req, res) => {
      res.json(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    });
    app = server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => app!.once('listening', () => resolve()));
    await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/chat`);
    const [record] = await rec.waitFor(1);
    return { record, exposition: await monitor.metrics(), snapshot: JSON.stringify(monitor.snapshot()) };
  }

  it('exports user.id as its keyed hash, and other attributes as they are', async () => {
    const { record, exposition, snapshot } = await run({ hashKey: KEY }, { 'user.id': 'alice@example.com', tenant: 'acme' });
    expect(record.context).toMatchObject({ 'user.id': expected('alice@example.com'), tenant: 'acme', 'http.route': '/chat' });
    for (const text of [JSON.stringify(record), exposition, snapshot]) expect(text).not.toContain('alice@example.com');
  });

  it('hashes the attributes named in hashAttributes', async () => {
    const { record } = await run({ hashKey: KEY, hashAttributes: ['customer'] }, { customer: 'c-991', 'user.id': 'kept' });
    expect(record.context).toMatchObject({ customer: expected('c-991'), 'user.id': 'kept' });
  });
});
