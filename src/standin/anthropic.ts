// Anthropic Messages wire format: JSON bodies, named SSE events and error bodies, field order as the API sends them.
import type { IncomingHttpHeaders } from 'node:http';
import { isObj, type ReplyPlan, randomId, type StandinUsage } from './scenario.js';

export interface AnthropicUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  service_tier: 'standard';
}

/** input_tokens excludes cache reads/writes, as Anthropic reports it; output counts every streamed piece. */
export function anthropicUsage(
  u: StandinUsage | undefined,
  estimate: number,
  plan: ReplyPlan,
): AnthropicUsage {
  const c5 = u?.cacheCreation5m ?? 0;
  const c1 = u?.cacheCreation1h ?? 0;
  return {
    input_tokens: u?.inputTokens ?? estimate,
    cache_creation_input_tokens: c5 + c1,
    cache_read_input_tokens: u?.cacheRead ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: c5, ephemeral_1h_input_tokens: c1 },
    output_tokens: u?.outputTokens ?? plan.emitted,
    service_tier: 'standard',
  };
}

/** Stand-in signature: opaque base64 like the real one, derived from the thinking so it is stable. */
const signatureOf = (thinking: string) => Buffer.from(`standin-signature:${thinking}`).toString('base64');
const messageId = () => randomId('msg_01', 22);

function contentBlocks(plan: ReplyPlan): unknown[] {
  const blocks: unknown[] = [];
  if (plan.thinking !== null) {
    blocks.push({ type: 'thinking', thinking: plan.thinking, signature: signatureOf(plan.thinking) });
  }
  if (plan.text !== null) blocks.push({ type: 'text', text: plan.text });
  const t = plan.tool;
  if (t) blocks.push({ type: 'tool_use', id: t.id, name: t.name, input: t.input });
  return blocks;
}

/** The JSON message; usage null = a broken upstream that omits it. */
export function messageJson(plan: ReplyPlan, usage: AnthropicUsage | null): string {
  return JSON.stringify({
    model: plan.model,
    id: messageId(),
    type: 'message',
    role: 'assistant',
    content: contentBlocks(plan),
    stop_reason: plan.tool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    ...(usage && { usage }),
  });
}

const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
const PING = ev('ping', { type: 'ping' });
const STOP = ev('message_stop', { type: 'message_stop' });

/**
 * SSE events for `stream: true`: message_start (start-of-stream usage, output_tokens 1), the first block's
 * start, a ping (where the API puts it), the blocks, message_delta with the final usage, message_stop.
 */
export function messageStream(plan: ReplyPlan, usage: AnthropicUsage | null): string[] {
  const message = {
    model: plan.model,
    id: messageId(),
    type: 'message',
    role: 'assistant',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    ...(usage && { usage: { ...usage, output_tokens: 1 } }),
  };
  const out = [ev('message_start', { type: 'message_start', message })];
  let index = 0;
  const start = (content_block: unknown) => {
    out.push(ev('content_block_start', { type: 'content_block_start', index, content_block }));
    if (index === 0) out.push(PING);
  };
  const delta = (d: unknown) =>
    out.push(ev('content_block_delta', { type: 'content_block_delta', index, delta: d }));
  const stop = () => out.push(ev('content_block_stop', { type: 'content_block_stop', index: index++ }));

  if (plan.thinking !== null) {
    start({ type: 'thinking', thinking: '', signature: '' });
    for (const w of plan.thinkingPieces) delta({ type: 'thinking_delta', thinking: w });
    delta({ type: 'signature_delta', signature: signatureOf(plan.thinking) });
    stop();
  }
  if (plan.text !== null) {
    start({ type: 'text', text: '' });
    for (const w of plan.pieces) delta({ type: 'text_delta', text: w });
    stop();
  }
  const t = plan.tool;
  if (t) {
    start({ type: 'tool_use', id: t.id, name: t.name, input: {} });
    delta({ type: 'input_json_delta', partial_json: '' });
    for (const p of t.parts) delta({ type: 'input_json_delta', partial_json: p });
    stop();
  }
  if (index === 0) out.push(PING);
  const md = { stop_reason: t ? 'tool_use' : 'end_turn', stop_sequence: null };
  // The live API repeats the input/cache counts here (unchanged) next to the cumulative output_tokens.
  const deltaUsage = usage && {
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
    },
  };
  out.push(ev('message_delta', { type: 'message_delta', delta: md, ...deltaUsage }));
  out.push(STOP);
  return out;
}

const TYPES: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not Found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'This request would exceed the rate limit for your organization.'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

/** `{"type":"error","error":{"type","message"},"request_id"}` */
export function anthropicError(status: number, requestId: string, type?: string, message?: string): string {
  const d = TYPES[status] ?? (status >= 500 ? TYPES[500]! : TYPES[400]!);
  return JSON.stringify({
    type: 'error',
    error: { type: type ?? d[0], message: message ?? d[1] },
    request_id: requestId,
  });
}

const BEARER = /^Bearer \S/;
const SAMPLING = ['temperature', 'top_p', 'top_k'];

/** Anthropic takes `x-api-key` or, since API version 2026-10-21 (SDK >= 1.0), `Authorization: Bearer`. */
export function anthropicKey(h: IncomingHttpHeaders): boolean {
  const k = h['x-api-key'];
  return (typeof k === 'string' && k !== '') || BEARER.test(h.authorization ?? '');
}

export interface MessagesBody {
  model: string;
  messages: unknown[];
  system?: unknown;
  stream?: unknown;
}

type Rejection = [status: number, type: string, message: string];
const invalid = (message: string): Rejection => [400, 'invalid_request_error', message];

/** Auth and body checks in the API's order: what to send back, or null when the request is fine. */
export function anthropicReject(h: IncomingHttpHeaders, body: unknown, bad: boolean, count: boolean) {
  if (!anthropicKey(h)) return [401, 'authentication_error', 'x-api-key header is required'] as Rejection;
  const version = h['anthropic-version'];
  if (!version) return invalid('anthropic-version: header is required');
  if (bad || !isObj(body)) return invalid('Request body is not valid JSON.');
  if (typeof body.model !== 'string') return invalid('model: Field required');
  if (!Array.isArray(body.messages)) return invalid('messages: Field required');
  if (count) return null;
  if (typeof body.max_tokens !== 'number') return invalid('max_tokens: Field required');
  // API version 2026-10-21 (what SDK >= 1.0 sends) removed the sampling parameters: any value is a 400.
  const sampling = version >= '2026-10-21' && SAMPLING.find((k) => k in body);
  return sampling ? invalid(`${sampling}: Extra inputs are not permitted`) : null;
}

/** Status the API would have used for an error type (a stream-error scenario hit by a non-stream request). */
export function statusForType(type: string): number {
  for (const [status, [t]] of Object.entries(TYPES)) if (t === type) return Number(status);
  return 500;
}

/** Mid-stream `event: error`, as sent when the API fails after the 200 headers. */
export function anthropicStreamError(type = 'overloaded_error', message = 'Overloaded'): string {
  return ev('error', { type: 'error', error: { type, message } });
}

const MODELS: [string, string, string][] = [
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05T00:00:00Z'],
  ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29T00:00:00Z'],
  ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01T00:00:00Z'],
];
export const MODELS_JSON = JSON.stringify({
  data: MODELS.map(([id, display_name, created_at]) => ({ type: 'model', id, display_name, created_at })),
  has_more: false,
  first_id: MODELS[0]![0],
  last_id: MODELS[MODELS.length - 1]![0],
});
