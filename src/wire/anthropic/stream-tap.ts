import { obj, str, tryParse } from '../json.js';
import type { SseEvent } from '../sse.js';
import { type StreamTap, type TapDecision, TapState } from '../stream-tap.js';
import { usageFromAnthropic } from './usage.js';

/**
 * Meters an Anthropic Messages stream: input and cache counts arrive in message_start, the final output
 * count in message_delta (which may repeat the others: they replace, never add). Every event passes on
 * unchanged; message_delta opens the tail.
 */
export function anthropicStreamTap(): StreamTap {
  const s = new TapState();
  return {
    onEvent(ev: SseEvent): TapDecision {
      const type = ev.event;
      if (type === 'content_block_delta') {
        collectDelta(ev.data, s.delivered);
      } else if (type === 'message_start') {
        const msg = obj(obj(tryParse(ev.data))?.message);
        s.model = str(msg?.model) ?? s.model;
        s.usage = usageFromAnthropic(msg?.usage, s.usage);
      } else if (type === 'message_delta') {
        s.usage = usageFromAnthropic(obj(tryParse(ev.data))?.usage, s.usage);
        s.inTail = true;
      } else if (type === 'message_stop') {
        s.complete = true;
        s.inTail = true;
      } else if (type === 'error') {
        const e = obj(obj(tryParse(ev.data))?.error);
        s.errorCode = str(e?.type) ?? 'stream_error';
      }
      return { emit: ev.raw, tail: s.inTail };
    },
    result: () => s.result(),
  };
}

function collectDelta(data: string, into: string[]): void {
  const delta = obj(obj(tryParse(data))?.delta);
  if (!delta) return;
  const piece = str(delta.text) ?? str(delta.thinking) ?? str(delta.partial_json);
  if (piece) into.push(piece);
}
