import type { ProviderConfig } from '../config/schema.js';
import { GatewayError } from '../wire/errors.js';
import { apiUrl } from './base-url.js';
import type { Provider } from './provider.js';

const DEFAULT_VERSION = '2023-06-01';

/** Anthropic Messages API: x-api-key auth; the client's anthropic-version/-beta headers pass through. */
export function anthropicProvider(id: string, cfg: ProviderConfig, keyEnv?: string): Provider {
  const key = cfg.apiKey;
  return {
    id,
    protocol: 'anthropic',
    catalogProvider: cfg.catalogProvider ?? id,
    timeoutMs: cfg.timeoutMs,
    models: cfg.models,
    url: apiUrl(cfg.baseUrl),
    authHeaders(client) {
      if (!key)
        throw new GatewayError(
          'upstream_not_configured',
          `provider ${id} has no API key${keyEnv ? `: set ${keyEnv}` : ''}`,
        );
      const version = client['anthropic-version'];
      return {
        'x-api-key': key,
        'anthropic-version': typeof version === 'string' ? version : DEFAULT_VERSION,
      };
    },
  };
}
