import { obj, str, tryParse } from '../json.js';
import type { SseEvent } from '../sse.js';
import { type StreamTap, type TapDecision, TapState } from '../stream-tap.js';
import { usageFromOpenAI } from './usage.js';

/**
 * Meters an OpenAI chat-completions stream. When the gateway added `stream_options.include_usage` itself
 * (`injected`), the extra usage-only chunk is dropped and the `"usage":null` fields it caused are removed,
 * so the client receives exactly the stream it asked for.
 */
export function openAIStreamTap(injected: boolean): StreamTap {
  const s = new TapState();
  const pass = (raw: string): TapDecision => ({ emit: raw, tail: s.inTail });
  return {
    onEvent(ev: SseEvent): TapDecision {
      if (ev.data === '[DONE]') {
        s.complete = true;
        s.inTail = true;
        return pass(ev.raw);
      }
      // A comment or keep-alive carries no data; any data but [DONE] must be a JSON chunk.
      if (ev.data === '') return pass(ev.raw);
      const chunk = obj(tryParse(ev.data));
      if (!chunk) return { emit: null, tail: s.inTail, malformed: true };
      if (chunk.error !== undefined) {
        const e = obj(chunk.error);
        s.errorCode = str(e?.code) ?? str(e?.type) ?? 'stream_error';
        s.errorStatus = errorStatus(str(e?.code), str(e?.type));
        return pass(ev.raw);
      }
      s.model ??= str(chunk.model);
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      collectDeltas(choices, s.delivered);
      if (chunk.usage !== undefined && chunk.usage !== null) {
        s.usage = usageFromOpenAI(chunk.usage);
        s.inTail = true;
        if (injected && choices.length === 0) return { emit: null, tail: true };
        return pass(ev.raw);
      }
      return pass(injected ? ev.raw.replace(',"usage":null', '') : ev.raw);
    },
    result: () => s.result(),
  };
}

// The status OpenAI gives these errors outside a stream, so an in-stream error is recorded as one.
const STATUS_BY_CODE: Record<string, number> = {
  invalid_request_error: 400,
  context_length_exceeded: 400,
  invalid_api_key: 401,
  permission_denied: 403,
  model_not_found: 404,
  rate_limit_exceeded: 429,
  rate_limit_error: 429,
  insufficient_quota: 429,
  requests: 429,
  tokens: 429,
  server_error: 500,
  server_overloaded: 503,
  overloaded_error: 503,
};

function errorStatus(code: string | undefined, type: string | undefined): number {
  return (code && STATUS_BY_CODE[code]) || (type && STATUS_BY_CODE[type]) || 500;
}

function collectDeltas(choices: unknown[], into: string[]): void {
  for (const c of choices) {
    const delta = obj(obj(c)?.delta);
    if (!delta) continue;
    const content = str(delta.content);
    if (content) into.push(content);
    const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
    if (reasoning) into.push(reasoning);
    if (Array.isArray(delta.tool_calls)) {
      for (const t of delta.tool_calls) {
        const fn = obj(obj(t)?.function);
        const args = str(fn?.arguments);
        if (args) into.push(args);
        const name = str(fn?.name);
        if (name) into.push(name);
      }
    }
  }
}
