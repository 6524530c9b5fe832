import { obj } from './json.js';

// Binary payloads and ids are not billed as text tokens; structural fields are not text at all.
const SKIPPED = new Set([
  'data',
  'image_url',
  'source',
  'id',
  'tool_call_id',
  'type',
  'role',
  'cache_control',
]);

/**
 * Collects every string under `content`/`text`/`system`/tool definitions: the text a tokenizer should
 * count, in document order. Iterative with an explicit stack, so a deep body cannot overflow the call stack.
 */
export function collectText(value: unknown, into: string[] = []): string[] {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      into.push(v);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else {
      const o = obj(v);
      if (!o) continue;
      const entries = Object.entries(o);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] as [string, unknown];
        if (!SKIPPED.has(k)) stack.push(child);
      }
    }
  }
  return into;
}
