import { type Json, obj, str, tryParse } from '../json.js';
import type { SseEvent } from '../sse.js';
import { type StreamTap, type TapDecision, TapState } from '../stream-tap.js';
import { usageFromAnthropic } from './usage.js';

// The status Anthropic gives each error type outside a stream, so an in-stream error is recorded as one.
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * Meters an Anthropic Messages stream: input and cache counts arrive in message_start, the final output
 * count in message_delta (which may repeat the others: they replace, never add). Every event passes on
 * unchanged; message_delta opens the tail. An event whose data is not JSON is malformed.
 */
export function anthropicStreamTap(): StreamTap {
  const s = new TapState();
  return {
    onEvent(ev: SseEvent): TapDecision {
      const data = ev.data === '' ? undefined : obj(tryParse(ev.data));
      if (ev.data !== '' && !data) return { emit: null, tail: s.inTail, malformed: true };
      const type = ev.event;
      if (type === 'content_block_delta') {
        collectDelta(data, s.delivered);
      } else if (type === 'message_start') {
        const msg = obj(data?.message);
        s.model = str(msg?.model) ?? s.model;
        s.usage = usageFromAnthropic(msg?.usage, s.usage);
      } else if (type === 'message_delta') {
        s.usage = usageFromAnthropic(data?.usage, s.usage);
        s.inTail = true;
      } else if (type === 'message_stop') {
        s.complete = true;
        s.inTail = true;
      } else if (type === 'error') {
        const e = obj(data?.error);
        s.errorCode = str(e?.type) ?? 'stream_error';
        s.errorStatus = STATUS_BY_TYPE[s.errorCode] ?? 500;
      }
      return { emit: ev.raw, tail: s.inTail };
    },
    result: () => s.result(),
  };
}

function collectDelta(data: Json | undefined, into: string[]): void {
  const delta = obj(data?.delta);
  if (!delta) return;
  const piece = str(delta.text) ?? str(delta.thinking) ?? str(delta.partial_json);
  if (piece) into.push(piece);
}
