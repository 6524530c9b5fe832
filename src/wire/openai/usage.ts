import { emptyUsage, type Usage } from '../../pricing/usage.js';
import { count, obj } from '../json.js';

/** OpenAI `usage` → normalised usage. prompt_tokens includes cached_tokens, so fresh input is the difference. */
export function usageFromOpenAI(u: unknown): Usage | undefined {
  const o = obj(u);
  if (!o) return undefined;
  const cached = count(obj(o.prompt_tokens_details)?.cached_tokens);
  const usage = emptyUsage();
  usage.input = Math.max(0, count(o.prompt_tokens) - cached);
  usage.cacheRead = cached;
  usage.output = count(o.completion_tokens);
  usage.reasoning = count(obj(o.completion_tokens_details)?.reasoning_tokens);
  return usage;
}

/** The answer's generated text (content, reasoning, refusal, tool calls) from a chat.completion body. */
export function answerTextOpenAI(body: unknown): string[] {
  const out: string[] = [];
  const choices = obj(body)?.choices;
  for (const c of Array.isArray(choices) ? choices : []) {
    const m = obj(obj(c)?.message);
    if (!m) continue;
    for (const k of ['content', 'reasoning_content', 'reasoning', 'refusal']) {
      const v = m[k];
      if (typeof v === 'string') out.push(v);
      // Content may also be an array of parts.
      else if (Array.isArray(v)) for (const p of v) pushStr(out, obj(p)?.text);
    }
    const calls = m.tool_calls;
    for (const t of Array.isArray(calls) ? calls : []) {
      const fn = obj(obj(t)?.function);
      pushStr(out, fn?.name);
      pushStr(out, fn?.arguments);
    }
  }
  return out;
}

function pushStr(into: string[], v: unknown): void {
  if (typeof v === 'string' && v !== '') into.push(v);
}
