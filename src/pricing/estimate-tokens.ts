import type { Tiktoken } from 'js-tiktoken/lite';

// The o200k ranks take ~1.5 s of CPU to load, so the gateway loads them once at start-up (before it
// listens) rather than stalling the first aborted stream that needs an estimate.
let encoder: Tiktoken | undefined;

export async function loadTokenizer(): Promise<void> {
  if (encoder) return;
  const [{ Tiktoken }, { default: ranks }] = await Promise.all([
    import('js-tiktoken/lite'),
    import('js-tiktoken/ranks/o200k_base'),
  ]);
  encoder = new Tiktoken(ranks);
}

/** Token count of the given texts with o200k_base (exact for current OpenAI models, close for others). */
export async function estimateTokens(texts: readonly string[]): Promise<number> {
  if (texts.length === 0) return 0;
  await loadTokenizer();
  return countTokens(texts);
}

// Counting is ~1 µs per token plus a fixed cost per encode() call, and apps resend the same system
// prompts, tool schemas and documents on every call: counts are cached per text, bounded by total size.
const cache = new Map<string, number>();
const CACHE_MAX_CHARS = 8_000_000;
let cachedChars = 0;

/** Synchronous count for the request path; the gateway loads the tokenizer before it listens. */
export function countTokens(texts: readonly string[]): number {
  if (!encoder) throw new Error('tokenizer not loaded (call loadTokenizer() at start-up)');
  let n = 0;
  for (const t of texts) {
    const hit = cache.get(t);
    if (hit !== undefined) {
      n += hit;
      continue;
    }
    // Special-token text (e.g. "<|endoftext|>" in a prompt) is counted as plain text, never an error.
    const c = encoder.encode(t, [], []).length;
    n += c;
    if (t.length > CACHE_MAX_CHARS / 100) continue;
    while (cachedChars + t.length > CACHE_MAX_CHARS) {
      const oldest = cache.keys().next().value as string;
      cachedChars -= oldest.length;
      cache.delete(oldest);
    }
    cache.set(t, c);
    cachedChars += t.length;
  }
  return n;
}
