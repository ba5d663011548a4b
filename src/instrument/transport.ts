/**
 * The transport observer: times a call's response at its arrival from the network, not when the app
 * reads it.
 *
 * The official SDKs send every request through the client's own `fetch` field (openai-node
 * `fetchWithTimeout`, @anthropic-ai/sdk the same) and spread the request's `fetchOptions` into its
 * `init`. The monitor puts an observing fetch on the client once, and each observed request carries
 * its calls to it under a symbol key in `fetchOptions` (a request without the key, from an unwrapped
 * use of the same client, goes straight through). For each request the SDK sends, the observer:
 *   - records an attempt (the SDK's own retries are attempts of one call): status or error, time;
 *   - for a successful response with a body, reads the body as it arrives and timestamps each piece
 *     (body-arrivals.ts); the SDK reads the same pieces, unchanged and in order, from the network's own
 *     Response (a stream through its body's `getReader()` and async iterator, an answer through the
 *     Response's `json()` and `text()`), or, for a Response the app takes raw, through an equal copy
 *     readable every way. When the SDK yields a chunk, the piece that completed it is the last one
 *     handed out, so its arrival time is the chunk's (SSE events in one network read share it); an
 *     answer ends when its last byte arrived, however late the SDK or the app got to it.
 *
 * Nothing is buffered beyond what the network delivered; the body is read once, at once (reading it
 * only when the SDK parses it would time the SDK's and the app's delays too: openai 7 parses a few
 * event-loop turns after the headers, 60 to 130 ms late on a loaded machine, measured). What changes:
 * the network's Response and its body get methods that read the same bytes (through prototypes
 * between them and the platform's, so `instanceof` holds and no own property shows), and are locked
 * and used from their arrival (as the SDK's reading would make them); a raw Response is a copy (same
 * class, status, status text, headers, url, type, redirected, same bytes); and a slow consumer no
 * longer slows the network read (the response is held in memory instead of in the socket's buffers).
 */
import type { Call } from '../call.js';
import { BodyArrivals } from './body-arrivals.js';
import { monotonic } from '../lib/clock.js';

/** The key under which a request's calls ride in `fetchOptions` to the observing fetch. */
export const CALLS = Symbol.for('llm-vitals.calls');
const OBSERVING = Symbol.for('llm-vitals.observing-fetch');

type Fetch = (this: unknown, url: unknown, init?: any) => Promise<any>;

/**
 * Put the observing fetch on a client instance (once per client, shared by every monitor that wraps
 * it). False when the client has no `fetch` field to observe (then calls are timed at the app's reads
 * and noted `timed_at_read`).
 */
export function observeTransport(client: any): boolean {
  try {
    const fetch = client?.fetch;
    if (typeof fetch !== 'function' || typeof Response !== 'function') return false;
    if (fetch[OBSERVING] === true) return true;
    const observed = observingFetch(fetch);
    client.fetch = observed;
    return client.fetch === observed;
  } catch {
    return false;
  }
}

/** The request options to send: the app's, plus this call under the observer's key (a copy; never the app's object). */
export function withCall(options: any, call: Call): any {
  const fetchOptions = options?.fetchOptions;
  const calls: Call[] | undefined = fetchOptions?.[CALLS];
  return { ...options, fetchOptions: { ...fetchOptions, [CALLS]: calls === undefined ? [call] : [...calls, call] } };
}

function observingFetch(original: Fetch): Fetch {
  const observed = function (this: unknown, url: unknown, init?: any): Promise<any> {
    const calls: Call[] | undefined = init?.[CALLS];
    if (calls === undefined) return original.call(this, url, init);
    return send(original, this, url, init, calls);
  };
  Object.defineProperty(observed, OBSERVING, { value: true });
  return observed;
}

function send(original: Fetch, self: unknown, url: unknown, init: any, calls: Call[]): Promise<any> {
  const sentAt = monotonic();
  for (let i = 0; i < calls.length; i++) calls[i].sent = true;
  let pending: Promise<any>;
  try {
    pending = original.call(self, url, init);
  } catch (error) {
    attempt(calls, sentAt, undefined, error);
    throw error;
  }
  return pending.then(
    (response) => observeResponse(response, calls, sentAt),
    (error) => {
      attempt(calls, sentAt, undefined, error);
      throw error;
    },
  );
}

function attempt(calls: Call[], sentAt: number, status: number | undefined, error: unknown): void {
  for (let i = 0; i < calls.length; i++) {
    try {
      calls[i].attempt(sentAt, status, error);
    } catch {
      // Recording an attempt never reaches the app.
    }
  }
}

function observeResponse(response: any, calls: Call[], sentAt: number): any {
  try {
    const status = typeof response?.status === 'number' ? response.status : undefined;
    attempt(calls, sentAt, status, undefined);
    // Only the body of a successful response is timed (an error body is read by the SDK for its error).
    if (response?.ok !== true || !(response instanceof Response) || response.body === null) return response;
    const arrivals = new BodyArrivals(response.body, calls);
    for (let i = 0; i < calls.length; i++) calls[i].arrivals = arrivals;
    // A body the app takes raw goes to it in an equal copy, readable every way; any other is read by
    // the SDK from the network's own Response: a stream through its body's readers, an answer through
    // the Response's `json()` / `text()`.
    if (anyRaw(calls)) return arrivals.copyOf(response);
    arrivals.observeInPlace(response);
    return response;
  } catch {
    return response;
  }
}

function anyRaw(calls: Call[]): boolean {
  for (let i = 0; i < calls.length; i++) if (calls[i].raw) return true;
  return false;
}
