import type { Tiktoken } from 'js-tiktoken';

// Only used when an upstream never reported usage (aborted or broken streams), so the encoder's ranks
// (a few MB) load lazily on first use instead of at start-up.
let encoder: Tiktoken | undefined;

async function getEncoder(): Promise<Tiktoken> {
  if (!encoder) {
    const { getEncoding } = await import('js-tiktoken');
    encoder = getEncoding('o200k_base');
  }
  return encoder;
}

/** Token count of the given texts with o200k_base (exact for current OpenAI models, close for others). */
export async function estimateTokens(texts: readonly string[]): Promise<number> {
  if (texts.length === 0) return 0;
  const enc = await getEncoder();
  let n = 0;
  for (const t of texts) n += enc.encode(t).length;
  return n;
}
