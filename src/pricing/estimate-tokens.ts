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
  let n = 0;
  for (const t of texts) n += (encoder as Tiktoken).encode(t).length;
  return n;
}

/** Synchronous count for the request path; the gateway loads the tokenizer before it listens. */
export function countTokens(texts: readonly string[]): number {
  if (!encoder) throw new Error('tokenizer not loaded (call loadTokenizer() at start-up)');
  let n = 0;
  for (const t of texts) n += encoder.encode(t).length;
  return n;
}
