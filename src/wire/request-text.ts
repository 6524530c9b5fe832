import { obj } from './json.js';

/** Collects every string under `content`/`text`/`system`/tool definitions: the text a tokenizer should count. */
export function collectText(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') {
    into.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectText(v, into);
  } else {
    const o = obj(value);
    if (!o) return into;
    for (const [k, v] of Object.entries(o)) {
      // Skip binary payloads and ids: they are not billed as text tokens.
      if (k === 'data' || k === 'image_url' || k === 'source' || k === 'id' || k === 'tool_call_id') continue;
      if (k === 'type' || k === 'role' || k === 'cache_control') continue;
      collectText(v, into);
    }
  }
  return into;
}
