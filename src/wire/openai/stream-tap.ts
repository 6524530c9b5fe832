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
      const chunk = obj(tryParse(ev.data));
      if (!chunk) return pass(ev.raw);
      if (chunk.error !== undefined) {
        const e = obj(chunk.error);
        s.errorCode = str(e?.code) ?? str(e?.type) ?? 'stream_error';
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
