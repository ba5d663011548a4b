/**
 * The official `openai` package (v4 to v7), and every server it talks to through `baseURL`: OpenAI,
 * Azure OpenAI, vLLM, Ollama, llama.cpp's server, gateways.
 *
 * Observed: `chat.completions.create`, `responses.create`, `completions.create`,
 * `embeddings.create` (streaming and not). The helpers `chat.completions.stream()`, `.parse()`,
 * `.runTools()` and `responses.stream()` call `create` through the client, so they are observed too.
 * Everything else passes through untouched. The SDK is never imported: only its shapes are read.
 *
 * Provider knowledge (field names of responses, chunks and events) lives here and nowhere else.
 */
import type { CallRecord, RequestParams } from '../record.js';
import type { Call } from '../call.js';
import { OPERATION } from '../semconv.js';
import { reported } from '../tokens/usage.js';
import { setNumberParam } from '../lib/set-number-param.js';
import type { ResponseReader } from './promise.js';
import type { InstrumentContext } from './context.js';
import type { MethodTree } from './proxy.js';
import { observeCreate } from './observe-create.js';
import { readIdentity } from './read-identity.js';
import { HIDE, META, OUTPUT, type ChunkKind } from './stream.js';
import { inferProvider, serverOf } from './provider.js';
import { observeTransport } from './transport.js';
import { observeStreamHelper, observeWithOptions } from './helpers.js';

/** The `gen_ai.request.*` parameters of an OpenAI-style request body. */
export function readParams(body: any): RequestParams {
  if (body === null || typeof body !== 'object') return {};
  const params: RequestParams = {};
  setNumberParam(params, 'temperature', body.temperature);
  setNumberParam(params, 'topP', body.top_p);
  setNumberParam(params, 'maxTokens', body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens);
  setNumberParam(params, 'frequencyPenalty', body.frequency_penalty);
  setNumberParam(params, 'presencePenalty', body.presence_penalty);
  setNumberParam(params, 'seed', body.seed);
  setNumberParam(params, 'choiceCount', body.n);
  if (typeof body.stop === 'string') params.stopSequences = [body.stop];
  else if (Array.isArray(body.stop)) params.stopSequences = body.stop.filter((s: unknown) => typeof s === 'string');
  if (typeof body.encoding_format === 'string') params.encodingFormats = [body.encoding_format];
  return params;
}

/** True when a client looks like an `openai` client (it has `chat.completions.create`). */
export function isOpenAIClient(client: any): boolean {
  return typeof client?.chat?.completions?.create === 'function';
}

/** The methods to observe on an `openai` client. */
export function openAIMethods(client: any, ctx: InstrumentContext, provider: string | undefined, rewrap: (client: object) => object): MethodTree {
  const server = serverOf(client?.baseURL);
  const name = provider ?? inferProvider(client?.baseURL, 'openai');
  const transport = observeTransport(client);
  const observe = (operation: string, reader: ResponseReader, streamUsage: boolean) =>
    observeCreate(ctx, { provider: name, operation, server, reader, readParams, prepare: streamUsage ? askForStreamUsage(ctx) : undefined, transport });
  return {
    chat: { completions: { create: observe(OPERATION.chat, chatReader, true), stream: observeStreamHelper, runTools: observeStreamHelper } },
    completions: { create: observe(OPERATION.textCompletion, completionReader, true) },
    embeddings: { create: observe(OPERATION.embeddings, embeddingsReader, false) },
    responses: { create: observe(OPERATION.chat, responsesReader, false), stream: observeStreamHelper },
    withOptions: observeWithOptions(rewrap),
  };
}

/** With `tokens.includeStreamUsage`: ask a stream that did not ask for usage to report it, on a copy. */
function askForStreamUsage(ctx: InstrumentContext): (body: any, call: Call) => any {
  return (body, call) => {
    if (!call.record.streaming || !ctx.includeStreamUsage || body.stream_options?.include_usage === true) return body;
    call.hideUsageChunk = true;
    return { ...body, stream_options: { ...body.stream_options, include_usage: true } };
  };
}

// ---- Readers: one per operation ----------------------------------------------------------------

/** Chat Completions and legacy Completions share their usage shape. */
function readCompletionUsage(record: CallRecord, usage: any): void {
  if (usage === null || typeof usage !== 'object') return;
  record.inputTokens = reported(usage.prompt_tokens) ?? record.inputTokens;
  record.outputTokens = reported(usage.completion_tokens) ?? record.outputTokens;
  record.cachedInputTokens = reported(usage.prompt_tokens_details?.cached_tokens) ?? record.cachedInputTokens;
  record.reasoningTokens = reported(usage.completion_tokens_details?.reasoning_tokens) ?? record.reasoningTokens;
}

/**
 * The finish reasons the OpenAI API defines. An OpenAI-compatible server that says anything else
 * (vLLM's `abort`, a gateway's `end_turn`, `eos`) keeps its word on the record, noted as nonstandard.
 */
const OPENAI_FINISH_REASONS = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

function setFinishReason(record: CallRecord, index: unknown, reason: unknown): void {
  if (typeof reason !== 'string' || reason === '') return;
  const i = typeof index === 'number' && index >= 0 && index < 128 ? index : record.finishReasons.length;
  record.finishReasons[i] = reason;
  if (!OPENAI_FINISH_REASONS.has(reason) && !record.notes.includes('finish_reason_nonstandard')) record.notes.push('finish_reason_nonstandard');
}

function noteIfMissing(record: CallRecord): void {
  if (record.inputTokens === undefined || (record.outputTokens === undefined && record.operation !== OPERATION.embeddings)) {
    record.notes.push('usage_missing');
  }
  if (record.responseModel === undefined) record.notes.push('model_missing');
  if (record.finishReasons.length === 0 && record.operation !== OPERATION.embeddings) record.notes.push('finish_reason_missing');
}

/**
 * What Chat Completions and legacy Completions responses share: identity, one finish reason per
 * choice, usage; `readChoice` takes each choice's output.
 */
function readChoicesResponse(call: Call, data: any, readChoice: (call: Call, choice: any) => void): void {
  const record = call.record;
  if (data === null || typeof data !== 'object') {
    record.notes.push('response_not_object');
    return;
  }
  readIdentity(record, data);
  const choices = data.choices;
  if (Array.isArray(choices)) {
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i];
      setFinishReason(record, choice?.index ?? i, choice?.finish_reason);
      readChoice(call, choice);
    }
  } else record.notes.push('choices_missing');
  readCompletionUsage(record, data.usage);
  noteIfMissing(record);
}

/**
 * What their chunks share: identity, usage, and the `usage: null` that the monitor's own
 * `include_usage` adds to every chunk (removed when the app did not ask for usage). Returns the
 * chunk's choices to read, or its kind when it has none.
 */
function chunkChoices(call: Call, chunk: any): any[] | ChunkKind {
  if (chunk === null || typeof chunk !== 'object') return META;
  const record = call.record;
  if (record.responseId === undefined) readIdentity(record, chunk);
  const usage = chunk.usage;
  if (usage != null) readCompletionUsage(record, usage);
  else if (usage === null && call.hideUsageChunk) delete chunk.usage;
  const choices = chunk.choices;
  // Only a non-empty array of choices is output to read. A chunk without one that carries the usage the
  // monitor itself asked for is that usage chunk, whatever the `choices` a broken server put on it
  // (`0`, `"x"`): hidden, as the app would not have received it; any other such chunk is shown.
  if (!Array.isArray(choices) || choices.length === 0) return call.hideUsageChunk && usage != null ? HIDE : META;
  return choices;
}

/** After the record ended: remove the monitor's `usage: null`, and say whether this is its usage chunk. */
function hiddenAfterEnd(call: Call, chunk: any): boolean {
  if (chunk === null || typeof chunk !== 'object') return false;
  const usage = chunk.usage;
  if (usage === null) {
    delete chunk.usage;
    return false;
  }
  const choices = chunk.choices;
  return usage !== undefined && (!Array.isArray(choices) || choices.length === 0);
}

/** A chat choice's output: its message text and tool-call arguments. */
function readChatChoice(call: Call, choice: any): void {
  const message = choice?.message;
  if (typeof message?.content === 'string') call.pending?.outputParts.push(message.content);
  const tools = message?.tool_calls;
  if (Array.isArray(tools)) for (const t of tools) if (typeof t?.function?.arguments === 'string') call.pending?.outputParts.push(t.function.arguments);
}

/** A legacy completion choice's output: its text. */
function readCompletionChoice(call: Call, choice: any): void {
  if (typeof choice?.text === 'string') call.pending?.outputParts.push(choice.text);
}

export const chatReader: ResponseReader = {
  response(call, data) {
    readChoicesResponse(call, data, readChatChoice);
  },
  chunk(call, chunk): ChunkKind {
    const choices = chunkChoices(call, chunk);
    if (!Array.isArray(choices)) return choices;
    const record = call.record;
    let kind: ChunkKind = META;
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i];
      if (choice === null || typeof choice !== 'object') continue;
      if (choice.finish_reason != null) setFinishReason(record, choice.index, choice.finish_reason);
      const delta = choice.delta;
      if (delta == null) continue;
      const content = delta.content;
      if (typeof content === 'string' && content !== '') {
        call.pending?.outputParts.push(content);
        kind = OUTPUT;
      }
      const tools = delta.tool_calls;
      if (tools != null && tools.length > 0) {
        for (let j = 0; j < tools.length; j++) {
          const args = tools[j]?.function?.arguments;
          if (typeof args === 'string' && args !== '') call.pending?.outputParts.push(args);
        }
        kind = OUTPUT;
      }
      if (typeof delta.refusal === 'string' && delta.refusal !== '') kind = OUTPUT;
    }
    return kind;
  },
  done(call) {
    noteIfMissing(call.record);
  },
  hiddenAfterEnd,
};

export const completionReader: ResponseReader = {
  response(call, data) {
    readChoicesResponse(call, data, readCompletionChoice);
  },
  chunk(call, chunk): ChunkKind {
    const choices = chunkChoices(call, chunk);
    if (!Array.isArray(choices)) return choices;
    const record = call.record;
    let kind: ChunkKind = META;
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i];
      if (choice?.finish_reason != null) setFinishReason(record, choice.index, choice.finish_reason);
      if (typeof choice?.text === 'string' && choice.text !== '') {
        call.pending?.outputParts.push(choice.text);
        kind = OUTPUT;
      }
    }
    return kind;
  },
  done(call) {
    noteIfMissing(call.record);
  },
  hiddenAfterEnd,
};

export const embeddingsReader: ResponseReader = {
  response(call, data) {
    const record = call.record;
    if (data === null || typeof data !== 'object') {
      record.notes.push('response_not_object');
      return;
    }
    if (typeof data.model === 'string' && data.model !== '') record.responseModel = data.model;
    record.inputTokens = reported(data.usage?.prompt_tokens);
    noteIfMissing(record);
  },
  chunk: () => META,
};

/** Responses API: a `response` object, or a stream of typed events. */
function readResponseObject(call: Call, response: any, fromStream: boolean): void {
  const record = call.record;
  readIdentity(record, response);
  if (typeof response.model === 'string' && response.model !== '') record.responseModel = response.model;
  const usage = response.usage;
  if (usage != null && typeof usage === 'object') {
    record.inputTokens = reported(usage.input_tokens);
    record.outputTokens = reported(usage.output_tokens);
    record.cachedInputTokens = reported(usage.input_tokens_details?.cached_tokens);
    record.reasoningTokens = reported(usage.output_tokens_details?.reasoning_tokens);
  }
  const reason = response.incomplete_details?.reason ?? response.status;
  if (typeof reason === 'string' && reason !== 'in_progress' && reason !== 'queued') record.finishReasons[0] = reason;
  if (!fromStream && Array.isArray(response.output)) {
    for (const item of response.output) {
      if (item?.type === 'message' && Array.isArray(item.content)) {
        for (const part of item.content) if (typeof part?.text === 'string') call.pending?.outputParts.push(part.text);
      } else if (typeof item?.arguments === 'string') call.pending?.outputParts.push(item.arguments);
    }
  }
}

/** A Responses API response whose `status` is `failed`: its `error.code` classifies it (`rate_limit_exceeded`, `server_error`, ...). */
export class ResponseFailedError extends Error {
  readonly code: string | undefined;
  constructor(error: any) {
    super(typeof error?.message === 'string' ? error.message : 'response failed');
    this.name = 'ResponseFailedError';
    this.code = typeof error?.code === 'string' ? error.code : undefined;
  }
}

export const responsesReader: ResponseReader = {
  response(call, data) {
    if (data === null || typeof data !== 'object') {
      call.record.notes.push('response_not_object');
      return;
    }
    readResponseObject(call, data, false);
    if (data.status === 'failed') call.failure = new ResponseFailedError(data.error);
    noteIfMissing(call.record);
  },
  chunk(call, event): ChunkKind {
    const type = event?.type;
    if (typeof type !== 'string') return META;
    if (type === 'response.output_text.delta' || type === 'response.function_call_arguments.delta' || type === 'response.refusal.delta') {
      if (typeof event.delta === 'string' && event.delta !== '') {
        call.pending?.outputParts.push(event.delta);
        return OUTPUT;
      }
      return META;
    }
    if (type === 'response.created' || type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
      if (event.response != null && typeof event.response === 'object') readResponseObject(call, event.response, true);
      // The stream ends normally, but the generation failed: the record says so, by the error's code.
      if (type === 'response.failed') call.failure = new ResponseFailedError(event.response?.error);
    }
    return META;
  },
  done(call) {
    noteIfMissing(call.record);
  },
};
