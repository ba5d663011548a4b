/**
 * One incident, one alert, through a real monitor: calls made while an Express app handles a route
 * are watched at model level and at model + route level; an incident both see is one `anomaly` event
 * named after the route (the model's label set in `related`), one count on the route's series of
 * `llm_vitals_anomalies_total`, and one `anomaly_resolved` event once the signal is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createMonitor, type AnomalyEvent, type AnomalyResolvedEvent, type Monitor } from '../../src/index.js';
import { samplesOf } from '../support/exposition.js';
import { normal } from './random.js';

let monitor: Monitor | undefined;
let server: Server | undefined;

afterEach(async () => {
  await monitor?.shutdown();
  monitor = undefined;
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  }
});

function watched() {
  monitor = createMonitor({ serviceName: 'incidents', resources: false, otel: false, detect: { warmup: 30, drift: false } });
  const anomalies: AnomalyEvent[] = [];
  const resolutions: AnomalyResolvedEvent[] = [];
  monitor.on('anomaly', (e) => anomalies.push(e));
  monitor.on('anomaly_resolved', (e) => resolutions.push(e));
  return { monitor, anomalies, resolutions };
}

/** The counts of `llm_vitals_anomalies_total` for one signal, summed over reasons, by route ('' for the model's series). */
async function counted(monitor: Monitor, signal: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of samplesOf(await monitor.metrics(), 'llm_vitals_anomalies_total', { signal })) {
    const route = s.labels.http_route ?? '';
    out[route] = (out[route] ?? 0) + s.value;
  }
  return out;
}

describe('one incident, one alert', () => {
  it('raises one alert per incident at the most specific label set, counts it once, and resolves it when the signal is back', async () => {
    const { monitor, anomalies, resolutions } = watched();
    // A local model whose answers are as long as the request says (output tokens, no clock involved).
    const generate = monitor.track(async (tokens: number) => ({ tokens }), {
      provider: 'local',
      operation: 'chat',
      model: 'm1',
      readUsage: (r: { tokens: number }) => ({ inputTokens: 12, outputTokens: r.tokens }),
    });
    const app = express();
    app.use(monitor.express());
    app.get('/chat/:id', async (req, res) => res.json(await generate(Number(req.query.tokens))));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const g = normal(7);
    const calls = async (n: number, typical: number) => {
      for (let i = 0; i < n; i++) await (await fetch(`${url}/chat/${i}?tokens=${Math.round(typical + 4 * g())}`)).json();
      await monitor.flush();
    };
    const ofTokens = <E extends { signal: string }>(events: E[]) => events.filter((e) => e.signal === 'output_tokens');
    const modelLabels = { provider: 'local', model: 'm1' };
    const routeLabels = { ...modelLabels, route: '/chat/:id' };

    await calls(200, 100);
    expect(ofTokens(anomalies)).toEqual([]);
    // Every watched signal's counter exists at 0 before its first incident, on both label sets.
    expect(await counted(monitor, 'output_tokens')).toEqual({ '': 0, '/chat/:id': 0 });

    // A sustained shift: 200 calls at 1.6 times the length. One alert, however long it lasts.
    await calls(200, 160);
    const fired = ofTokens(anomalies);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ kind: 'anomaly', labels: routeLabels, related: [modelLabels] });
    expect(await counted(monitor, 'output_tokens')).toEqual({ '': 0, '/chat/:id': 1 });
    expect(ofTokens(resolutions)).toEqual([]);

    // Back to the usual length: the incident resolves, and no new alert is raised on the way back.
    await calls(200, 100);
    expect(ofTokens(anomalies)).toHaveLength(1);
    const closed = ofTokens(resolutions);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ kind: 'anomaly_resolved', incident: fired[0].incident, labels: routeLabels, related: [modelLabels], cause: 'recovered' });
    expect(closed[0].alerts).toBeGreaterThanOrEqual(2);
    expect(closed[0].time).toBeGreaterThan(closed[0].firedAt);
    expect(Math.abs(closed[0].baseline! - 100)).toBeLessThan(10);

    // A second incident after the recovery is a second alert.
    await calls(100, 160);
    expect(ofTokens(anomalies)).toHaveLength(2);
    expect(ofTokens(anomalies)[1].incident).not.toBe(fired[0].incident);
    expect(await counted(monitor, 'output_tokens')).toEqual({ '': 0, '/chat/:id': 2 });
  }, 60_000);

  it('keeps a burst of errors one alert until the error rate is back, then alerts on the next burst', () => {
    const { monitor, anomalies, resolutions } = watched();
    // Deterministic events: one in `every` observations is an error.
    let n = 0;
    const observe = (count: number, every: number) => {
      for (let i = 0; i < count; i++) monitor.observe('error_rate', n++ % every === 0 ? 1 : 0, { provider: 'local', model: 'm1' });
    };
    observe(600, 50);
    expect(anomalies).toEqual([]);
    // 40% errors for 300 observations: one alert, and the incident stays open while they last.
    observe(300, 2.5);
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ signal: 'error_rate', reason: 'rate', related: [] });
    expect(resolutions).toEqual([]);
    observe(400, 50);
    expect(anomalies).toHaveLength(1);
    expect(resolutions).toHaveLength(1);
    expect(resolutions[0]).toMatchObject({ incident: anomalies[0].incident, cause: 'recovered' });
    expect(resolutions[0].alerts).toBeGreaterThanOrEqual(1);
    observe(100, 2.5);
    expect(anomalies).toHaveLength(2);
  });
});
