// OpenAI Chat Completions wire format: JSON bodies, SSE chunks and error bodies, field order as the API sends them.
import type { IncomingHttpHeaders } from 'node:http';
import { isObj, type ReplyPlan, randomId, type StandinUsage } from './scenario.js';

const FINGERPRINT = 'fp_5f2a3b9c1d';
const DONE = 'data: [DONE]\n\n';

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** Defaults keep the numbers self-consistent: completion includes reasoning, total = prompt + completion. */
export function openaiUsage(u: StandinUsage | undefined, estimate: number, plan: ReplyPlan): OpenAIUsage {
  const prompt = u?.inputTokens ?? estimate;
  const reasoning = u?.reasoningTokens ?? 0;
  const completion = u?.outputTokens ?? plan.emitted + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u?.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const completionId = () => randomId('chatcmpl-', 29);
const now = () => Math.floor(Date.now() / 1000);

/** Non-stream `chat.completion` body; usage null = a broken upstream that omits it. */
export function completionJson(plan: ReplyPlan, usage: OpenAIUsage | null): string {
  const t = plan.tool;
  const message = t
    ? {
        role: 'assistant',
        content: plan.text,
        tool_calls: [{ id: t.id, type: 'function', function: { name: t.name, arguments: t.json } }],
        refusal: null,
        annotations: [],
      }
    : { role: 'assistant', content: plan.text, refusal: null, annotations: [] };
  const choice = { index: 0, message, logprobs: null, finish_reason: t ? 'tool_calls' : 'stop' };
  const id = completionId();
  const created = now();
  const tail = { service_tier: 'default', system_fingerprint: FINGERPRINT };
  return JSON.stringify(
    usage
      ? { id, object: 'chat.completion', created, model: plan.model, choices: [choice], usage, ...tail }
      : { id, object: 'chat.completion', created, model: plan.model, choices: [choice], ...tail },
  );
}

/**
 * SSE events for `stream: true`. The shared chunk envelope is serialised once and the per-chunk choice
 * spliced in, which is byte-identical to JSON.stringify of the whole chunk but cheaper.
 */
export function completionStream(
  plan: ReplyPlan,
  usage: OpenAIUsage | null,
  includeUsage: boolean,
): string[] {
  const envelope = {
    id: completionId(),
    object: 'chat.completion.chunk',
    created: now(),
    model: plan.model,
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
  const head = `data: ${JSON.stringify(envelope).slice(0, -1)},"choices":[`;
  const tail = includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
  const chunk = (delta: unknown, finish: string | null = null) =>
    `${head}{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}${tail}`;

  const t = plan.tool;
  const toolStart = t && [
    { index: 0, id: t.id, type: 'function', function: { name: t.name, arguments: '' } },
  ];
  const out: string[] = [];
  // A tool-only reply announces the call in the role chunk, as the API does; otherwise content starts empty.
  if (toolStart && plan.text === null) {
    out.push(chunk({ role: 'assistant', content: null, tool_calls: toolStart, refusal: null }));
  } else {
    out.push(chunk({ role: 'assistant', content: '', refusal: null }));
  }
  for (const p of plan.pieces) out.push(chunk({ content: p }));
  if (t) {
    if (plan.text !== null) out.push(chunk({ tool_calls: toolStart }));
    for (const a of t.parts) out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] }));
  }
  out.push(chunk({}, t ? 'tool_calls' : 'stop'));
  if (includeUsage && usage) out.push(`${head}],"usage":${JSON.stringify(usage)}}\n\n`);
  out.push(DONE);
  return out;
}

const TYPES: Record<number, [type: string, code: string | null, message: string]> = {
  400: ['invalid_request_error', null, 'Invalid request.'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'],
  403: ['permission_denied', null, 'You are not allowed to access this resource.'],
  404: [
    'invalid_request_error',
    'model_not_found',
    'The model does not exist or you do not have access to it.',
  ],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again later.'],
  500: ['server_error', null, 'The server had an error while processing your request. Sorry about that!'],
  503: ['server_error', null, 'The server is overloaded or not ready yet.'],
};

export interface OpenAIErrorFields {
  type?: string | undefined;
  code?: string | null | undefined;
  message?: string | undefined;
  param?: string;
}

/** `{"error":{"message","type","param","code"}}`; unspecified fields default per status. */
export function openaiError(status: number, o: OpenAIErrorFields = {}): string {
  const d = TYPES[status] ?? (status >= 500 ? TYPES[500]! : TYPES[400]!);
  const code = o.code === undefined ? d[1] : o.code;
  const error = { message: o.message ?? d[2], type: o.type ?? d[0], param: o.param ?? null, code };
  return JSON.stringify({ error });
}

export const BEARER = /^Bearer \S/;
const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
const BAD_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
const missing = (param: string): OpenAIErrorFields => ({
  message: `Missing required parameter: '${param}'.`,
  param,
  code: 'missing_required_parameter',
});

export interface ChatBody {
  model: string;
  messages: unknown[];
  stream?: unknown;
  stream_options?: unknown;
}

/** Auth and body checks in the API's order: the status and error to send, or null when the request is fine. */
export function openaiReject(
  h: IncomingHttpHeaders,
  body: unknown,
  bad: boolean,
): [number, OpenAIErrorFields] | null {
  if (!BEARER.test(h.authorization ?? '')) return [401, { message: NO_KEY, code: null }];
  if (bad || !isObj(body)) return [400, { message: BAD_JSON, code: null }];
  if (typeof body.model !== 'string' || body.model === '') return [400, missing('model')];
  if (!Array.isArray(body.messages)) return [400, missing('messages')];
  if (body.stream !== true && body.stream_options != null) {
    const message = "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
    return [400, { message, param: 'stream_options', code: null }];
  }
  return null;
}

/** Mid-stream error as the API sends it: a data line carrying an `error` object, then the stream ends. */
export function openaiStreamError(
  type = 'server_error',
  message = 'The server had an error while processing your request.',
  code: string | null = null,
) {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`;
}

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini'];
export const MODELS_JSON = JSON.stringify({
  object: 'list',
  data: MODELS.map((id, i) => ({ id, object: 'model', created: 1715367049 + i * 86400, owned_by: 'system' })),
});
