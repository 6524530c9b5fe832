import type { Usage } from '../../pricing/usage.js';
import { obj, str, tryParse } from '../json.js';
import type { SseEvent } from '../sse.js';
import type { StreamTap, TapDecision, TapResult } from '../stream-tap.js';
import { usageFromAnthropic } from './usage.js';

/**
 * Meters an Anthropic Messages stream: input and cache counts arrive in message_start, the final output
 * count in message_delta. Every event passes on unchanged; message_delta opens the tail.
 */
export function anthropicStreamTap(): StreamTap {
  let usage: Usage | undefined;
  let model: string | undefined;
  let complete = false;
  let errorCode: string | undefined;
  let inTail = false;
  const delivered: string[] = [];

  return {
    onEvent(ev: SseEvent): TapDecision {
      const type = ev.event;
      if (type === 'content_block_delta') {
        collectDelta(ev.data, delivered);
      } else if (type === 'message_start') {
        const msg = obj(obj(tryParse(ev.data))?.message);
        model = str(msg?.model) ?? model;
        usage = usageFromAnthropic(msg?.usage, usage);
      } else if (type === 'message_delta') {
        usage = usageFromAnthropic(obj(tryParse(ev.data))?.usage, usage);
        inTail = true;
      } else if (type === 'message_stop') {
        complete = true;
        inTail = true;
      } else if (type === 'error') {
        const e = obj(obj(tryParse(ev.data))?.error);
        errorCode = str(e?.type) ?? 'stream_error';
      }
      return { emit: ev.raw, tail: inTail };
    },
    result: (): TapResult => ({ usage, model, complete, errorCode, deliveredText: delivered }),
  };
}

function collectDelta(data: string, into: string[]): void {
  const delta = obj(obj(tryParse(data))?.delta);
  if (!delta) return;
  const piece = str(delta.text) ?? str(delta.thinking) ?? str(delta.partial_json);
  if (piece) into.push(piece);
}
