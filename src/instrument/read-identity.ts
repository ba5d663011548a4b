/**
 * The response's model and id, from any provider object that names them `model` and `id` (an OpenAI
 * completion or chunk, a Responses `response`, an Anthropic `message`); the first seen is kept.
 */
import type { CallRecord } from '../record.js';

export function readIdentity(record: CallRecord, data: any): void {
  if (record.responseModel === undefined && typeof data.model === 'string' && data.model !== '') record.responseModel = data.model;
  if (record.responseId === undefined && typeof data.id === 'string') record.responseId = data.id;
}
