import type { Usage } from '../../pricing/usage.js';
import type { FieldProblem, ImportRecord } from './types.js';

/**
 * The record's token counts in the ledger's disjoint classes (pricing/usage.ts). In the record
 * `input_tokens` counts all input and the cache fields are parts of it: `cache_write_tokens` all writes,
 * `cache_write_1h_tokens` the 1-hour part of them. A part larger than its whole is a bad row.
 */
export function splitInput(r: ImportRecord): Usage | FieldProblem {
  if (r.cacheWrite1hTokens > r.cacheWriteTokens)
    return {
      field: 'cache_write_1h_tokens',
      problem: `larger than cache_write_tokens (${r.cacheWrite1hTokens} > ${r.cacheWriteTokens}); it is the 1-hour part of all cache writes`,
    };
  if (r.cacheReadTokens > r.inputTokens)
    return {
      field: 'cache_read_tokens',
      problem: `larger than input_tokens (${r.cacheReadTokens} > ${r.inputTokens}); input_tokens counts all input, cache reads included`,
    };
  if (r.cacheReadTokens + r.cacheWriteTokens > r.inputTokens)
    return {
      field: 'cache_write_tokens',
      problem: `cache reads + writes exceed input_tokens (${r.cacheReadTokens} + ${r.cacheWriteTokens} > ${r.inputTokens}); input_tokens counts all input, cache writes included`,
    };
  if (r.reasoningTokens > r.outputTokens)
    return {
      field: 'reasoning_tokens',
      problem: `larger than output_tokens (${r.reasoningTokens} > ${r.outputTokens}); reasoning is part of output`,
    };
  return {
    input: r.inputTokens - r.cacheReadTokens - r.cacheWriteTokens,
    output: r.outputTokens,
    reasoning: r.reasoningTokens,
    cacheWrite5m: r.cacheWriteTokens - r.cacheWrite1hTokens,
    cacheWrite1h: r.cacheWrite1hTokens,
    cacheRead: r.cacheReadTokens,
  };
}
