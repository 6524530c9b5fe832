// What the stand-in should do for a request, plus the small pure helpers both protocol builders share.

export interface StandinUsage {
  /** OpenAI: prompt_tokens (INCLUDING cached); Anthropic: input_tokens (EXCLUDING cache read/write). */
  inputTokens?: number;
  /** OpenAI completion_tokens (incl. reasoning); Anthropic output_tokens. */
  outputTokens?: number;
  /** OpenAI prompt_tokens_details.cached_tokens */
  cachedTokens?: number;
  /** OpenAI completion_tokens_details.reasoning_tokens */
  reasoningTokens?: number;
  /** Anthropic cache_creation.ephemeral_5m_input_tokens */
  cacheCreation5m?: number;
  /** Anthropic cache_creation.ephemeral_1h_input_tokens (cache_creation_input_tokens = 5m + 1h) */
  cacheCreation1h?: number;
  /** Anthropic cache_read_input_tokens */
  cacheRead?: number;
}

export type Scenario =
  | {
      kind: 'reply';
      text?: string;
      usage?: StandinUsage;
      /** Model to report as served; default = requested. */
      model?: string;
      toolCall?: { id?: string; name: string; arguments: Record<string, unknown> };
      /** Anthropic only: emit a thinking block first. */
      thinking?: string;
      firstByteDelayMs?: number;
      chunkDelayMs?: number;
      /** Stream: destroy the socket after writing this many SSE events. Non-stream: destroy without replying. */
      dropAfterEvents?: number;
      /** Hang up (TCP reset) before sending any response headers, stream or not. */
      resetBeforeHeaders?: boolean;
      /**
       * Break the answer part-way: after `events` whole SSE events (stream) and `bytes` bytes of what comes
       * next (the next event, or the JSON body), `how`: `reset` the connection, `stall` (send nothing more, keep it
       * open) or `end` the response cleanly as if it were complete.
       */
      cut?: Cut;
      /** Stream: after this many events, one event whose data is not JSON (an HTML error page from a proxy). */
      malformedAfterEvents?: number;
      /**
       * Never send usage. OpenAI: no usage chunk even if asked, no `usage` in JSON. Anthropic: no `usage` in
       * the JSON message, message_start or message_delta (a broken Anthropic-compatible upstream).
       */
      omitUsage?: boolean;
    }
  | { kind: 'error'; status: number; type?: string; code?: string; message?: string; retryAfter?: string }
  | { kind: 'stream-error'; afterEvents: number; type?: string; code?: string; message?: string };

export interface Cut {
  events?: number;
  bytes?: number;
  how: 'reset' | 'stall' | 'end';
}

export type ReplyScenario = Extract<Scenario, { kind: 'reply' }>;
export type ErrorScenario = Extract<Scenario, { kind: 'error' }>;
export type StreamErrorScenario = Extract<Scenario, { kind: 'stream-error' }>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: unknown;
}

export const DEFAULT_TEXT = 'Hello from the Margin stand-in. This reply is deterministic.';

/** Split text into streamable pieces (leading whitespace + word) whose concatenation is the text. */
export function splitWords(text: string): string[] {
  const m = text.match(/\s*\S+(?:\s+$)?/g);
  return m ?? (text === '' ? [] : [text]);
}

const DEFAULT_PIECES = splitWords(DEFAULT_TEXT);

/** Cut a string into fixed-size fragments (tool-argument JSON streams in token-sized bits). */
export function fragments(s: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** Deterministic input-token estimate; count_tokens and /v1/messages agree because both use this. */
export function estimateInputTokens(messages: unknown, system?: unknown): number {
  const sys = system === undefined ? 0 : JSON.stringify(system).length;
  return Math.ceil((JSON.stringify(messages).length + sys) / 4);
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomId(prefix: string, len: number): string {
  let s = prefix;
  for (let i = 0; i < len; i++) s += B62[(Math.random() * 62) | 0];
  return s;
}

const KINDS = new Set(['reply', 'error', 'stream-error']);
/** Parse the `x-standin-scenario` header; undefined when it is not a usable scenario. */
export function parseScenario(json: string): Scenario | undefined {
  try {
    const s = JSON.parse(json) as Scenario;
    if (s === null || typeof s !== 'object' || !KINDS.has(s.kind)) return undefined;
    if (s.kind === 'error' && typeof s.status !== 'number') return undefined;
    if (s.kind === 'stream-error' && typeof s.afterEvents !== 'number') return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/** Everything a protocol builder needs to emit a reply, resolved once. */
export interface ReplyPlan {
  model: string;
  /** null when the reply is only a tool call */
  text: string | null;
  pieces: string[];
  thinking: string | null;
  thinkingPieces: string[];
  tool: { id: string; name: string; input: Record<string, unknown>; json: string; parts: string[] } | null;
  /** pieces streamed (text words + thinking words + tool fragments): the default output-token count */
  emitted: number;
}

/** OpenAI has no thinking blocks, and the two providers mint differently shaped tool-call ids. */
export function planReply(
  s: ReplyScenario,
  requestedModel: string,
  provider: 'openai' | 'anthropic',
): ReplyPlan {
  const tc = s.toolCall;
  const text = s.text ?? (tc ? null : DEFAULT_TEXT);
  const pieces = text === null ? [] : s.text === undefined ? DEFAULT_PIECES : splitWords(text);
  const thinking = provider === 'anthropic' ? (s.thinking ?? null) : null;
  const thinkingPieces = thinking === null ? [] : splitWords(thinking);
  let tool: ReplyPlan['tool'] = null;
  if (tc) {
    const json = JSON.stringify(tc.arguments);
    const id = tc.id ?? (provider === 'openai' ? randomId('call_', 24) : randomId('toolu_01', 22));
    tool = { id, name: tc.name, input: tc.arguments, json, parts: fragments(json) };
  }
  const emitted = pieces.length + thinkingPieces.length + (tool ? tool.parts.length : 0);
  return { model: s.model ?? requestedModel, text, pieces, thinking, thinkingPieces, tool, emitted };
}
