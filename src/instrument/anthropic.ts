/**
 * The official `@anthropic-ai/sdk` client, and any server it talks to through `baseURL`.
 *
 * Observed: `messages.create` and `beta.messages.create`, streaming and not. The helper
 * `messages.stream()` hands its `Messages` resource (the observed one, reached through the wrapped
 * client) to `MessageStream`, which calls `create(...).withResponse()` on it, so its call is observed
 * in place too: its events, `finalMessage()` and `abort()` keep working. Everything else passes
 * through untouched. The SDK is never imported: only its shapes are read.
 *
 * What a Messages call reports (https://docs.anthropic.com/en/api/messages-streaming):
 *   - `message_start` carries the message id, model and the input side of usage (input, cache-read,
 *     cache-creation tokens) and a running output count that starts at 1, so output is taken only
 *     from `message_delta`, whose usage is the final, cumulative count;
 *   - `content_block_delta` carries output: `text_delta`, `input_json_delta` (tool input),
 *     `thinking_delta`; these are the timed chunks. `signature_delta`, `citations_delta`, `ping` and
 *     block starts and stops are metadata;
 *   - `message_delta` carries `stop_reason`, recorded as the finish reason.
 *
 * Provider knowledge (field names of messages and events) lives here and nowhere else.
 */
import type { CallRecord, RequestParams } from '../record.js';
import type { Call } from '../call.js';
import { OPERATION } from '../semconv.js';
import { reported } from '../tokens/usage.js';
import { setNumberParam } from '../lib/set-number-param.js';
import type { InstrumentContext } from './context.js';
import type { ResponseReader } from './promise.js';
import type { MethodTree } from './proxy.js';
import { observeCreate } from './observe-create.js';
import { readIdentity } from './read-identity.js';
import { META, OUTPUT, type ChunkKind } from './stream.js';
import { inferProvider, serverOf } from './provider.js';
import { observeTransport } from './transport.js';
import { observeStreamHelper, observeWithOptions } from './helpers.js';

/** True when a client looks like an `@anthropic-ai/sdk` client: `messages.create`, and no `chat.completions`. */
export function isAnthropicClient(client: any): boolean {
  return typeof client?.messages?.create === 'function' && client?.chat?.completions === undefined;
}

/** The methods to observe on an `@anthropic-ai/sdk` client. */
export function anthropicMethods(client: any, ctx: InstrumentContext, provider: string | undefined, rewrap: (client: object) => object): MethodTree {
  const server = serverOf(client?.baseURL);
  const name = provider ?? inferProvider(client?.baseURL, 'anthropic');
  const transport = observeTransport(client);
  const create = observeCreate(ctx, { provider: name, operation: OPERATION.chat, server, reader: messagesReader, readParams: readAnthropicParams, transport });
  const tree: MethodTree = { messages: { create, stream: observeStreamHelper }, withOptions: observeWithOptions(rewrap) };
  // The beta resource answers in the same shapes; older SDKs have none.
  if (typeof client?.beta?.messages?.create === 'function') tree.beta = { messages: { create, stream: observeStreamHelper } };
  return tree;
}

/** The `gen_ai.request.*` parameters of a Messages request body. */
export function readAnthropicParams(body: any): RequestParams {
  if (body === null || typeof body !== 'object') return {};
  const params: RequestParams = {};
  setNumberParam(params, 'temperature', body.temperature);
  setNumberParam(params, 'topP', body.top_p);
  setNumberParam(params, 'topK', body.top_k);
  setNumberParam(params, 'maxTokens', body.max_tokens);
  if (Array.isArray(body.stop_sequences)) params.stopSequences = body.stop_sequences.filter((s: unknown) => typeof s === 'string');
  return params;
}

// ---- Reader --------------------------------------------------------------------------------------

/** Input-side usage: present on `message_start` and on every `message_delta` of today's API (null there when unknown). */
function readInputUsage(record: CallRecord, usage: any): void {
  record.cachedInputTokens = reported(usage.cache_read_input_tokens) ?? record.cachedInputTokens;
  record.cacheCreationInputTokens = reported(usage.cache_creation_input_tokens) ?? record.cacheCreationInputTokens;
  // Anthropic's `input_tokens` counts only the tokens after the last cache breakpoint; the GenAI
  // conventions' input tokens (and OpenAI's `prompt_tokens`) include cache reads and writes, so the
  // record's count is their sum: sums across providers mean the same.
  const uncached = reported(usage.input_tokens);
  if (uncached !== undefined) {
    const cached = record.cachedInputTokens?.count ?? 0;
    const created = record.cacheCreationInputTokens?.count ?? 0;
    record.inputTokens = reported(uncached.count + cached + created);
  }
}

function readOutputUsage(record: CallRecord, usage: any): void {
  record.outputTokens = reported(usage.output_tokens) ?? record.outputTokens;
  record.reasoningTokens = reported(usage.output_tokens_details?.thinking_tokens) ?? record.reasoningTokens;
}

function setStopReason(record: CallRecord, reason: unknown): void {
  if (typeof reason === 'string' && reason !== '') record.finishReasons[0] = reason;
}

function noteIfMissing(record: CallRecord): void {
  if (record.inputTokens === undefined || record.outputTokens === undefined) record.notes.push('usage_missing');
  if (record.responseModel === undefined) record.notes.push('model_missing');
  if (record.finishReasons.length === 0) record.notes.push('finish_reason_missing');
}

/** The text of a finished message's content blocks, kept only in case output tokens must be estimated. */
function keepContentText(call: Call, content: unknown): void {
  const parts = call.pending?.outputParts;
  if (parts === undefined || !Array.isArray(content)) return;
  for (const block of content) {
    if (block === null || typeof block !== 'object') continue;
    if (typeof block.text === 'string') parts.push(block.text);
    else if (typeof block.thinking === 'string') parts.push(block.thinking);
    else if (block.type === 'tool_use' && block.input !== undefined) {
      try {
        parts.push(JSON.stringify(block.input));
      } catch {
        // An input that does not serialize is not counted.
      }
    }
  }
}

export const messagesReader: ResponseReader = {
  response(call, data) {
    const record = call.record;
    if (data === null || typeof data !== 'object') {
      record.notes.push('response_not_object');
      return;
    }
    readIdentity(record, data);
    setStopReason(record, data.stop_reason);
    const usage = data.usage;
    if (usage !== null && typeof usage === 'object') {
      readInputUsage(record, usage);
      readOutputUsage(record, usage);
    }
    keepContentText(call, data.content);
    noteIfMissing(record);
  },
  chunk(call, event): ChunkKind {
    if (event === null || typeof event !== 'object') return META;
    const record = call.record;
    switch (event.type) {
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta === null || typeof delta !== 'object') return META;
        // Output pieces: text, tool input JSON, thinking. An empty piece (the API opens a tool input with one) is not output.
        const piece = delta.type === 'text_delta' ? delta.text : delta.type === 'input_json_delta' ? delta.partial_json : delta.type === 'thinking_delta' ? delta.thinking : undefined;
        if (typeof piece !== 'string' || piece === '') return META;
        call.pending?.outputParts.push(piece);
        return OUTPUT;
      }
      case 'message_start': {
        const message = event.message;
        if (message === null || typeof message !== 'object') return META;
        readIdentity(record, message);
        // Its output count is a running count that starts at 1: the final one comes with message_delta.
        if (message.usage !== null && typeof message.usage === 'object') readInputUsage(record, message.usage);
        return META;
      }
      case 'message_delta': {
        setStopReason(record, event.delta?.stop_reason);
        const usage = event.usage;
        if (usage !== null && typeof usage === 'object') {
          readInputUsage(record, usage);
          readOutputUsage(record, usage);
        }
        return META;
      }
      default:
        // ping, content_block_start/stop, message_stop, and event types the API may add later.
        return META;
    }
  },
  done(call) {
    noteIfMissing(call.record);
  },
};
