import { emptyUsage, type Usage } from '../../pricing/usage.js';
import { count, obj } from '../json.js';

/**
 * Anthropic `usage` → normalised usage. input_tokens already excludes cache reads and writes; writes are
 * split into 5-minute and 1-hour TTLs when `cache_creation` is present (they are priced differently).
 */
export function usageFromAnthropic(u: unknown, base?: Usage): Usage | undefined {
  const o = obj(u);
  if (!o) return base;
  const usage = base ? { ...base } : emptyUsage();
  if (isNum(o.input_tokens)) usage.input = count(o.input_tokens);
  if (isNum(o.output_tokens)) usage.output = count(o.output_tokens);
  if (isNum(o.cache_read_input_tokens)) usage.cacheRead = count(o.cache_read_input_tokens);
  const creation = obj(o.cache_creation);
  if (creation) {
    usage.cacheWrite5m = count(creation.ephemeral_5m_input_tokens);
    usage.cacheWrite1h = count(creation.ephemeral_1h_input_tokens);
  } else if (isNum(o.cache_creation_input_tokens)) {
    // Without the TTL split every write is a default (5-minute) write.
    usage.cacheWrite5m = count(o.cache_creation_input_tokens);
    usage.cacheWrite1h = 0;
  }
  const details = obj(o.output_tokens_details);
  if (details && isNum(details.thinking_tokens)) usage.reasoning = count(details.thinking_tokens);
  return usage;
}

// message_delta may repeat fields as null; only numbers update the running usage.
const isNum = (v: unknown): boolean => typeof v === 'number';

/** The answer's generated text (text, thinking, tool inputs) from a Messages response body. */
export function answerTextAnthropic(body: unknown): string[] {
  const out: string[] = [];
  const content = obj(body)?.content;
  for (const b of Array.isArray(content) ? content : []) {
    const block = obj(b);
    if (!block) continue;
    for (const k of ['text', 'thinking', 'name']) {
      const v = block[k];
      if (typeof v === 'string' && v !== '') out.push(v);
    }
    if (block.input !== undefined) out.push(JSON.stringify(block.input));
  }
  return out;
}
