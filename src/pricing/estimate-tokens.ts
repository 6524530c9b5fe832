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
    const c = encodeLength(encoder, t);
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

/**
 * js-tiktoken's byte-pair merge is worse than quadratic in the length of one pre-token: 20,000 repeated
 * letters take a minute. Runs without whitespace longer than LONG_RUN are therefore counted in PIECE-sized
 * cuts (repeated cuts hit the cache), which keeps the work linear. Ordinary words are never that long, so
 * their counts are unchanged; a cut run counts at most a token or so more per cut, still an upper bound.
 */
const LONG_RUN = /\S{65,}/g;
const PIECE = 32;

function encodeLength(enc: Tiktoken, t: string): number {
  // Special-token text (e.g. "<|endoftext|>" in a prompt) is counted as plain text, never an error.
  if (t.length <= 64 || !LONG_RUN.test(t)) return enc.encode(t, [], []).length;
  LONG_RUN.lastIndex = 0;
  let n = 0;
  let from = 0;
  for (const m of t.matchAll(LONG_RUN)) {
    if (m.index > from) n += enc.encode(t.slice(from, m.index), [], []).length;
    const end = m.index + m[0].length;
    for (let i = m.index; i < end; ) {
      let j = Math.min(i + PIECE, end);
      if (j < end && isLowSurrogate(t.charCodeAt(j))) j++; // never split a surrogate pair
      n += countTokens([t.slice(i, j)]);
      i = j;
    }
    from = end;
  }
  if (from < t.length) n += enc.encode(t.slice(from), [], []).length;
  return n;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
