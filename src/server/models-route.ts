import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProviderRegistry } from '../providers/registry.js';
import { sendJson } from './respond.js';

/** GET /v1/models in the caller's format: Anthropic's when it sends anthropic-version, else OpenAI's. */
export function listModels(registry: ProviderRegistry, req: IncomingMessage, res: ServerResponse): void {
  const models = registry.listModels();
  if (req.headers['anthropic-version']) {
    const data = models.map((m) => ({
      type: 'model',
      id: m.id,
      display_name: m.id,
      created_at: '1970-01-01T00:00:00Z',
    }));
    sendJson(res, 200, {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
    return;
  }
  sendJson(res, 200, {
    object: 'list',
    data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })),
  });
}
