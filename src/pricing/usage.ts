/**
 * Token usage normalised across protocols. Every count is disjoint, so cost is a plain dot product:
 * `input` is fresh (uncached) input only — OpenAI's prompt_tokens minus cached_tokens, Anthropic's input_tokens.
 * `reasoning` is informational: it is already inside `output` for both providers and never charged twice.
 */
export interface Usage {
  input: number;
  output: number;
  reasoning: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export const emptyUsage = (): Usage => ({
  input: 0,
  output: 0,
  reasoning: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  cacheRead: 0,
});

/** All input the model read, cached or not: what long-context tiers are measured on. */
export const totalInput = (u: Usage): number => u.input + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead;
