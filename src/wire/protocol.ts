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
  readRequest(body: Json): { model: string; stream: boolean };
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
  streamTap(injectedUsage: boolean): StreamTap;
  /** The request's text, for estimating input tokens when upstream never reported them. */
  requestText(body: Json): string[];
}

export interface PreparedBody {
  bytes: Buffer | string;
  /** The gateway asked for stream usage the client did not ask for; the tap must hide it again. */
  injectedUsage: boolean;
}
