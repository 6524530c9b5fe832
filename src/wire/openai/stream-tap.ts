import type { Usage } from '../../pricing/usage.js';
import { obj, str, tryParse } from '../json.js';
import type { SseEvent } from '../sse.js';
import type { StreamTap, TapDecision, TapResult } from '../stream-tap.js';
import { usageFromOpenAI } from './usage.js';

const PASS = (raw: string, tail: boolean): TapDecision => ({ emit: raw, tail });

/**
 * Meters an OpenAI chat-completions stream. When the gateway added `stream_options.include_usage` itself
 * (`injected`), the extra usage-only chunk is dropped and the `"usage":null` fields it caused are removed,
 * so the client receives exactly the stream it asked for.
 */
export function openAIStreamTap(injected: boolean): StreamTap {
  let usage: Usage | undefined;
  let model: string | undefined;
  let complete = false;
  let errorCode: string | undefined;
  let inTail = false;
  const delivered: string[] = [];

  return {
    onEvent(ev: SseEvent): TapDecision {
      if (ev.data === '[DONE]') {
        complete = true;
        inTail = true;
        return PASS(ev.raw, true);
      }
      const chunk = obj(tryParse(ev.data));
      if (!chunk) return PASS(ev.raw, inTail);
      if (chunk.error !== undefined) {
        const e = obj(chunk.error);
        errorCode = str(e?.code) ?? str(e?.type) ?? 'stream_error';
        return PASS(ev.raw, inTail);
      }
      model ??= str(chunk.model);
      const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
      collectDeltas(choices, delivered);
      if (chunk.usage !== undefined && chunk.usage !== null) {
        usage = usageFromOpenAI(chunk.usage);
        inTail = true;
        if (injected && choices.length === 0) return { emit: null, tail: true };
        return PASS(ev.raw, true);
      }
      if (injected) return PASS(ev.raw.replace(',"usage":null', ''), inTail);
      return PASS(ev.raw, inTail);
    },
    result: (): TapResult => ({ usage, model, complete, errorCode, deliveredText: delivered }),
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
