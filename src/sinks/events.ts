/**
 * Events sink: hands each finished record to the app's `monitor.on('call', ...)` listeners. Each
 * listener runs isolated: one that throws is reported as a monitor fault and the others still run.
 */
import type { CallRecord } from '../record.js';
import type { Sink } from './sink.js';

export type Listener = (payload: any) => void;

export class Listeners {
  private readonly byEvent = new Map<string, Listener[]>();

  constructor(private readonly fault: (component: string, error: unknown) => void) {}

  on(event: string, listener: Listener): void {
    const list = this.byEvent.get(event);
    // Copy on write: an emit in progress keeps the list it started with.
    this.byEvent.set(event, list === undefined ? [listener] : [...list, listener]);
  }

  off(event: string, listener: Listener): void {
    const list = this.byEvent.get(event);
    if (list === undefined) return;
    const i = list.lastIndexOf(listener);
    if (i >= 0) this.byEvent.set(event, [...list.slice(0, i), ...list.slice(i + 1)]);
  }

  count(event: string): number {
    return this.byEvent.get(event)?.length ?? 0;
  }

  emit(event: string, payload: unknown): void {
    const list = this.byEvent.get(event);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](payload);
      } catch (error) {
        // A throwing 'error' listener must not loop back into itself.
        if (event !== 'error') this.fault('listener', error);
      }
    }
  }
}

export class EventsSink implements Sink {
  readonly name = 'events';
  constructor(private readonly listeners: Listeners) {}

  callEnded(record: CallRecord): void {
    this.listeners.emit('call', record);
  }
}
