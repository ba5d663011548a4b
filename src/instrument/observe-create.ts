/**
 * The one observing wrapper for an SDK's `create(body, options)`: start a call, read what the request
 * says (model, stream, `gen_ai.request.*` parameters), let the provider adjust the request (on a copy),
 * hand the call to the transport observer through the request options (a copy), call the SDK, and
 * observe what it returned. Any fault of the monitor's own is reported, never thrown;
 * the app always gets exactly what the SDK gave it, errors included.
 */
import type { RequestParams } from '../record.js';
import type { Call } from '../call.js';
import type { InstrumentContext } from './context.js';
import { observeResult, type ResponseReader } from './promise.js';
import type { Server } from './provider.js';
import type { MethodWrapper } from './proxy.js';
import { withCall } from './transport.js';

export interface CreateSpec {
  provider: string;
  operation: string;
  server: Server;
  reader: ResponseReader;
  /** The request's `gen_ai.request.*` parameters (read only when a sink wants them). */
  readParams(body: any): RequestParams;
  /** The body to send: the app's own, or a changed copy (never the app's object changed). */
  prepare?(body: any, call: Call): any;
  /** The client's fetch is observed (transport.ts): each request carries its call there, to be timed at arrival. */
  transport: boolean;
}

export function observeCreate(ctx: InstrumentContext, spec: CreateSpec): MethodWrapper {
  return (original, self) =>
    function create(body: any, ...rest: any[]) {
      // After shutdown the client is detached: calls go straight through.
      if (!ctx.active) return original.call(self, body, ...rest);
      let call: Call | undefined;
      let sent = body;
      try {
        const streaming = body?.stream === true;
        call = ctx.startCall(spec.provider, spec.operation, typeof body?.model === 'string' ? body.model : undefined, streaming, body);
        call.record.serverAddress = spec.server.address;
        call.record.serverPort = spec.server.port;
        if (ctx.readRequestParams) call.record.request = spec.readParams(body);
        if (spec.prepare !== undefined) sent = spec.prepare(body, call);
        const requestOptions = rest[0];
        const signal = requestOptions?.signal;
        if (signal !== undefined && signal !== null) call.signal = signal;
        // `rest` is this call's own array: the copy of the app's options takes their place in it.
        if (spec.transport) rest[0] = withCall(requestOptions, call);
        else call.record.notes.push('timed_at_read');
      } catch (error) {
        ctx.fault('instrument', error);
      }
      if (call === undefined) return original.call(self, body, ...rest);
      let result: unknown;
      try {
        result = original.call(self, sent, ...rest);
      } catch (error) {
        // Whatever happens while recording it, the app gets the SDK's own error.
        try {
          call.end('failed', error);
        } catch (monitorError) {
          ctx.fault('instrument', monitorError);
        }
        throw error;
      }
      return observeResult(result, call, spec.reader, ctx.fault);
    };
}
