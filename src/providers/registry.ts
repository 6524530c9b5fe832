import { findProvider } from '@pydantic/genai-prices';
import type { Config } from '../config/schema.js';
import { anthropicProvider } from './anthropic.js';
import { openAICompatibleProvider } from './openai-compatible.js';
import type { Provider } from './provider.js';

/** Built-in model families: how a bare model name finds its provider. */
const FAMILIES: readonly [RegExp, string][] = [
  [/^claude-/, 'anthropic'],
  [/^(gpt-|chatgpt-|o\d|ft:gpt|codex-|computer-use-)/, 'openai'],
];
const KEY_ENV: Record<string, string> = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };

export interface Target {
  provider: Provider;
  /** The model name to send upstream (without any `provider/` prefix). */
  model: string;
}

/** The only place that knows which providers exist. Built once at start-up from validated config. */
export class ProviderRegistry {
  readonly providers: ReadonlyMap<string, Provider>;
  private readonly declared = new Map<string, Provider>();
  private models: { id: string; provider: string }[] | undefined;

  constructor(config: Readonly<Config>) {
    const all = new Map<string, Provider>();
    for (const [id, cfg] of Object.entries(config.providers)) {
      const p =
        cfg.protocol === 'anthropic'
          ? anthropicProvider(id, cfg, KEY_ENV[id])
          : openAICompatibleProvider(id, cfg, KEY_ENV[id]);
      all.set(id, p);
      for (const m of cfg.models) this.declared.set(m, p);
    }
    this.providers = all;
  }

  /** `provider/model` → that provider; otherwise declared model lists, then the built-in families. */
  resolve(model: string): Target | undefined {
    const slash = model.indexOf('/');
    if (slash > 0) {
      const p = this.providers.get(model.slice(0, slash));
      if (p) return { provider: p, model: model.slice(slash + 1) };
    }
    const declared = this.declared.get(model);
    if (declared) return { provider: declared, model };
    for (const [re, id] of FAMILIES) {
      const p = re.test(model) ? this.providers.get(id) : undefined;
      if (p) return { provider: p, model };
    }
    return undefined;
  }

  /** Every model a client can name: catalog models of built-in providers plus declared ones (built once). */
  listModels(): readonly { id: string; provider: string }[] {
    if (this.models) return this.models;
    const out: { id: string; provider: string }[] = [];
    for (const p of this.providers.values()) {
      const catalog = p.id in KEY_ENV ? (findProvider({ providerId: p.catalogProvider })?.models ?? []) : [];
      for (const m of catalog) out.push({ id: m.id, provider: p.id });
      for (const m of p.models) out.push({ id: p.id in KEY_ENV ? m : `${p.id}/${m}`, provider: p.id });
    }
    this.models = out;
    return out;
  }
}
