import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** CLI flags win over the file and the environment. */
  overrides?: { port?: number; host?: string; db?: string };
}

/** Reads the config file (YAML or JSON), layers the environment and flags on top, validates once, freezes. */
export function loadConfig(opts: LoadOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const raw = opts.file ? readConfigFile(opts.file) : {};
  const merged = applyEnv(raw, env);
  if (opts.overrides?.port !== undefined) section(merged, 'server').port = opts.overrides.port;
  if (opts.overrides?.host !== undefined) section(merged, 'server').host = opts.overrides.host;
  if (opts.overrides?.db !== undefined) merged.db = opts.overrides.db;
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssues(opts.file ?? 'environment', parsed.error));
  return deepFreeze(parsed.data);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read config file (${(e as Error).message})`);
  }
  try {
    const doc: unknown = parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('top level must be a mapping');
    return doc as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`${file}: not valid YAML/JSON: ${(e as Error).message}`);
  }
}

type Obj = Record<string, unknown>;
function section(o: Obj, key: string): Obj {
  const cur = o[key];
  if (cur && typeof cur === 'object' && !Array.isArray(cur)) return cur as Obj;
  const fresh: Obj = {};
  o[key] = fresh;
  return fresh;
}

function applyEnv(raw: Obj, env: NodeJS.ProcessEnv): Obj {
  const out: Obj = structuredClone(raw);
  const providers = section(out, 'providers');
  const builtin: [string, 'openai' | 'anthropic', string, string, string][] = [
    ['openai', 'openai', 'MARGIN_UPSTREAM_OPENAI_URL', 'OPENAI_API_KEY', 'https://api.openai.com/v1'],
    [
      'anthropic',
      'anthropic',
      'MARGIN_UPSTREAM_ANTHROPIC_URL',
      'ANTHROPIC_API_KEY',
      'https://api.anthropic.com',
    ],
  ];
  for (const [id, protocol, urlVar, keyVar, defaultUrl] of builtin) {
    const p = section(providers, id);
    p.protocol ??= protocol;
    if (env[urlVar]) p.baseUrl = env[urlVar];
    p.baseUrl ??= defaultUrl;
    if (env[keyVar]) p.apiKey = env[keyVar];
  }
  if (env.MARGIN_ADMIN_KEY) out.adminKey = env.MARGIN_ADMIN_KEY;
  if (env.MARGIN_DB) out.db = env.MARGIN_DB;
  if (env.MARGIN_PORT) section(out, 'server').port = Number(env.MARGIN_PORT);
  if (env.MARGIN_HOST) section(out, 'server').host = env.MARGIN_HOST;
  return out;
}

function describeIssues(source: string, err: z.ZodError): string {
  const lines = err.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(top level)';
    return `  ${path}: ${i.message}`;
  });
  return `${source}: invalid configuration\n${lines.join('\n')}`;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
