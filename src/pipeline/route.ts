import type { ProviderRegistry, Target } from '../providers/registry.js';
import { GatewayError } from '../wire/errors.js';
import type { WireProtocol } from '../wire/protocol.js';

/**
 * Stage: model → provider. Rules, classifiers and cascades plug in here later; today a model name resolves
 * by `provider/model` prefix, declared model lists, or its family.
 */
export function route(registry: ProviderRegistry, protocol: WireProtocol, model: string): Target {
  const target = registry.resolve(model);
  if (!target)
    throw new GatewayError(
      'unknown_model',
      `The model \`${model}\` does not exist or is not routed by this gateway (use provider/model for declared providers)`,
      'model',
    );
  if (target.provider.protocol !== protocol.id)
    throw new GatewayError(
      'unsupported_protocol',
      `model: ${model} is served by ${target.provider.id}, which speaks the ${target.provider.protocol} protocol; call it through that protocol's endpoint`,
      'model',
    );
  return target;
}
