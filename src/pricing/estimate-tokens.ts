import { countBounded, newBudget, type TokenCount } from './bounded-count.js';
import { type Bpe, loadO200k } from './o200k.js';

export type { TokenCount } from './bounded-count.js';

// The o200k tables take ~0.35 s of CPU and ~60 MB to load, so the gateway loads them once at start-up (before
// it listens) rather than stalling the first call that needs a count; CLI commands never load them.
let bpe: Bpe | undefined;
let loading: Promise<Bpe> | undefined;

export async function loadTokenizer(): Promise<void> {
  loading ??= loadO200k();
  bpe ??= await loading;
}

/** Token count of the given texts with o200k_base (exact for current OpenAI models, close for others). */
export async function estimateTokens(texts: readonly string[]): Promise<number> {
  if (texts.length === 0) return 0;
  await loadTokenizer();
  return countTokens(texts);
}

/** Synchronous upper bound for the request path (exact on ordinary text); see countTokensBounded. */
export function countTokens(texts: readonly string[]): number {
  return countTokensBounded(texts).tokens;
}

// Apps resend the same system prompts, tool schemas and documents on every call: exact counts are cached
// per text, bounded by total size. Counts that hit a bound depend on the call's budget and are not cached.
const cache = new Map<string, number>();
const CACHE_MAX_CHARS = 8_000_000;
const CACHE_ITEM_MAX_CHARS = CACHE_MAX_CHARS / 100;
let cachedChars = 0;

/**
 * Token count in time linear in the input, never below the true count; `exact: false` when part of it was
 * bounded by UTF-8 bytes (a piece too long for BPE, or more text than one call may count exactly).
 */
export function countTokensBounded(texts: readonly string[]): TokenCount {
  if (!bpe) throw new Error('tokenizer not loaded (call loadTokenizer() at start-up)');
  const budget = newBudget();
  let tokens = 0;
  let exact = true;
  for (const t of texts) {
    const cacheable = t.length <= CACHE_ITEM_MAX_CHARS;
    const hit = cacheable ? cache.get(t) : undefined;
    if (hit !== undefined) {
      tokens += hit;
      continue;
    }
    const c = countBounded(t, bpe, budget);
    tokens += c.tokens;
    if (!c.exact) exact = false;
    else if (cacheable) remember(t, c.tokens);
  }
  return { tokens, exact };
}

function remember(text: string, tokens: number): void {
  while (cachedChars + text.length > CACHE_MAX_CHARS) {
    const oldest = cache.keys().next().value as string;
    cachedChars -= oldest.length;
    cache.delete(oldest);
  }
  cache.set(text, tokens);
  cachedChars += text.length;
}
