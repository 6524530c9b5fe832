import type { Usage } from '../pricing/usage.js';
import type { ErrorRenderer, GatewayError } from './errors.js';
import type { Json } from './json.js';
import type { StreamTap } from './stream-tap.js';

export type ProtocolId = 'openai' | 'anthropic';

/** Everything the core needs to know about one wire protocol; the pipeline never names a protocol. */
export interface WireProtocol {
  id: ProtocolId;
  /** Upstream path of the generation endpoint, relative to the provider's `/v1`. */
  generatePath: string;
  renderError: ErrorRenderer;
  /** An error as an in-stream event, for failures after the response headers went out. */
  renderStreamError(e: GatewayError): string;
  /** Validates the parts of a request the gateway relies on; throws GatewayError naming the field. */
  readRequest(body: Json): RequestInfo;
  /**
   * An upper bound on the input tokens the provider will bill, for budget reservations. `count` is the
   * o200k tokenizer; each protocol adds its own framing overhead and tokenizer margin.
   */
  inputBound(body: Json, raw: Buffer, count: (texts: readonly string[]) => number): InputBound;
  /** The body with its output cap lowered (when a plan lowers max_tokens to what fits). */
  withMaxOutputTokens(body: Json, maxTokens: number): Json;
  /**
   * The body to send upstream, or undefined to forward the client's bytes untouched. `upstreamModel`
   * differs from the requested one when a `provider/model` prefix is stripped.
   */
  prepareUpstream(
    body: Json,
    raw: Buffer,
    opts: { stream: boolean; upstreamModel: string },
  ): PreparedBody | undefined;
  usageFromResponse(body: unknown): { usage: Usage | undefined; model: string | undefined };
  /** A JSON answer's generated text, for estimating output when the response carries no usage. */
  answerText(body: unknown): string[];
  streamTap(injectedUsage: boolean): StreamTap;
  /** The request's text, for estimating input tokens when upstream never reported them. */
  requestText(body: Json): string[];
}

export interface RequestInfo {
  model: string;
  stream: boolean;
  /** The request's output cap (max_tokens / max_completion_tokens), when it sets one. */
  maxOutputTokens?: number;
  /** The field that set it, for errors that name it. */
  maxOutputField?: string;
}

export interface InputBound {
  tokens: number;
  /** The request asks the provider to write a prompt cache (billed above fresh input). */
  cacheWrite: 'none' | '5m' | '1h';
}

export interface PreparedBody {
  bytes: Buffer | string;
  /** The gateway asked for stream usage the client did not ask for; the tap must hide it again. */
  injectedUsage: boolean;
}
