// Shapes passed between the import stages: reader → (LiteLLM mapper) → validator → pricer → row → writer.

export type ImportFormat = 'jsonl' | 'csv' | 'litellm';

/** One record as read from a file, before validation: field → value (JSON values, or CSV text). */
export interface SourceRecord {
  /** The line the record starts on (1-based), for `FILE:LINE` in error reports. */
  line: number;
  fields: Record<string, unknown>;
  /** Set when the line could not be parsed at all (bad JSON, a broken CSV row). */
  error?: string;
}

/** A field at fault in one record. `field` is the name as written in the file. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** A validated call in the native record's terms: `inputTokens` counts all input, cache parts included. */
export interface ImportRecord {
  requestId: string;
  customer: string;
  feature: string;
  /** The model that answered, priced and recorded as served. */
  model: string;
  /** The model the caller asked for (LiteLLM's model group); the same as `model` in native records. */
  modelRequested: string;
  provider: string | undefined;
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  cacheHit: boolean;
  latencyMs: number;
  ttftMs: number | null;
  /** The cost the file states, in pico-USD; undefined when it states none (then the catalog prices it). */
  costPico: bigint | undefined;
  ts: number;
  status: number;
  tags: string[];
}
