/**
 * The SDKs' stream helpers (`chat.completions.stream()`, `.runTools()`, `responses.stream()`,
 * Anthropic's `messages.stream()`) call `create` through the wrapped client, so their calls are
 * observed there. What only the helper knows is why its request was aborted: a `break` out of the
 * helper (its iterator's `return()`) aborts the request, and that is the consumer stopping early
 * (`cancelled`), not an abort. So the helper's iterator is observed on the instance, and its request
 * signal (the one it passes to `create`) is marked before the helper aborts it.
 *
 * And `client.withOptions(...)` returns a new client: it is handed back monitored too.
 */
import { CONSUMER_STOPPED } from '../call.js';
import type { MethodWrapper } from './proxy.js';

/** Observe a helper method: the runner it returns, unchanged, with its iterator's early stop noticed. */
export const observeStreamHelper: MethodWrapper = (original) =>
  function streamHelper(this: unknown, ...args: unknown[]) {
    const runner = original.apply(this, args);
    try {
      noticeConsumerStop(runner);
    } catch {
      // A runner of an unknown shape is left alone: its break is then recorded as an abort.
    }
    return runner;
  };

function noticeConsumerStop(runner: any): void {
  const signal: AbortSignal | undefined = runner?.controller?.signal;
  const iteratorOf = runner?.[Symbol.asyncIterator];
  if (signal === undefined || typeof iteratorOf !== 'function') return;
  Object.defineProperty(runner, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function (this: unknown) {
      const iterator = iteratorOf.call(this);
      const stop = iterator?.return;
      if (typeof stop === 'function') {
        iterator.return = function (this: unknown, ...values: unknown[]) {
          if (!signal.aborted) CONSUMER_STOPPED.add(signal);
          return stop.apply(this, values);
        };
      }
      return iterator;
    },
  });
}

/** Observe `withOptions`: the client it returns is wrapped by the same monitor, with the same options. */
export function observeWithOptions(rewrap: (client: object) => object): MethodWrapper {
  return (original, self) =>
    function withOptions(...args: unknown[]) {
      const client = original.apply(self, args);
      if (client === null || typeof client !== 'object') return client;
      try {
        return rewrap(client);
      } catch {
        return client;
      }
    };
}
