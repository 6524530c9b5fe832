import type { ProviderConfig } from '../config/schema.js';
import { GatewayError } from '../wire/errors.js';
import { apiUrl } from './base-url.js';
import type { Provider } from './provider.js';

/** OpenAI and every OpenAI-compatible server: bearer auth, OpenAI wire format. */
export function openAICompatibleProvider(id: string, cfg: ProviderConfig, keyEnv?: string): Provider {
  const url = apiUrl(cfg.baseUrl);
  const key = cfg.apiKey;
  return {
    id,
    protocol: 'openai',
    catalogProvider: cfg.catalogProvider ?? id,
    timeoutMs: cfg.timeoutMs,
    models: cfg.models,
    url,
    authHeaders(): Record<string, string> {
      if (key) return { authorization: `Bearer ${key}` };
      if (keyEnv)
        throw new GatewayError('upstream_not_configured', `provider ${id} has no API key: set ${keyEnv}`);
      return {};
    },
  };
}
