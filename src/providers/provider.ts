import type { ProtocolId } from '../wire/protocol.js';

/** One upstream. Adapters differ only in protocol, URL and how they authenticate. */
export interface Provider {
  id: string;
  protocol: ProtocolId;
  /** genai-prices provider id used to price this upstream's models. */
  catalogProvider: string;
  timeoutMs: number;
  /** Extra models declared in config (for GET /v1/models and routing). */
  models: readonly string[];
  /** Absolute upstream URL for a path relative to the API's `/v1` (e.g. `chat/completions`). */
  url(path: string): string;
  /** Authentication and protocol headers to send upstream; throws when the provider is not configured. */
  authHeaders(client: Readonly<Record<string, string | string[] | undefined>>): Record<string, string>;
}
