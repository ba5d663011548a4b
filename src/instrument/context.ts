/**
 * What an instrument needs from the monitor: the one way in for the call it observes. The monitor
 * implements it; the instruments never import the monitor.
 */
import type { Call } from '../call.js';
import type { FaultReporter } from './stream.js';

export interface InstrumentContext {
  startCall(provider: string, operation: string, requestModel: string | undefined, streaming: boolean, request: unknown): Call;
  fault: FaultReporter;
  includeStreamUsage: boolean;
  /** False once the monitor is shut down. */
  readonly active: boolean;
  /** A sink wants `record.request` (the OTel spans); otherwise the request is not read for it. */
  readonly readRequestParams: boolean;
}
