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
