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
  if (!parsed.success) throw new ConfigError(describeIssues(opts.file ?? 'environment', parsed.error, env));
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

/** Environment variables and the config field each one sets (also used to name them in errors). */
const ENV_FIELDS: readonly [string, string[], (v: string) => unknown][] = [
  ['MARGIN_UPSTREAM_OPENAI_URL', ['providers', 'openai', 'baseUrl'], String],
  ['OPENAI_API_KEY', ['providers', 'openai', 'apiKey'], String],
  ['MARGIN_UPSTREAM_ANTHROPIC_URL', ['providers', 'anthropic', 'baseUrl'], String],
  ['ANTHROPIC_API_KEY', ['providers', 'anthropic', 'apiKey'], String],
  ['MARGIN_ADMIN_KEY', ['adminKey'], String],
  ['MARGIN_DB', ['db'], String],
  ['MARGIN_JOURNAL_DIR', ['ledger', 'journalDir'], String],
  ['MARGIN_PORT', ['server', 'port'], Number],
  ['MARGIN_HOST', ['server', 'host'], String],
  ['MARGIN_PLANS', ['plansFile'], String],
  ['MARGIN_UPGRADE_URL', ['limits', 'upgradeUrl'], String],
  ['MARGIN_WEBHOOK_URL', ['webhooks', '0', 'url'], String],
  ['MARGIN_WEBHOOK_SECRET', ['webhooks', '0', 'secret'], String],
];

const BUILTIN_PROVIDERS = [
  { id: 'openai', protocol: 'openai', baseUrl: 'https://api.openai.com/v1' },
  { id: 'anthropic', protocol: 'anthropic', baseUrl: 'https://api.anthropic.com' },
] as const;

function applyEnv(raw: Obj, env: NodeJS.ProcessEnv): Obj {
  const out: Obj = structuredClone(raw);
  for (const [name, path, convert] of ENV_FIELDS) {
    const v = env[name];
    if (!v) continue;
    if (path[0] === 'webhooks') {
      // One endpoint from the environment: it is the first entry of the list.
      const list = Array.isArray(out.webhooks) ? out.webhooks : [];
      out.webhooks = list;
      list[0] = { ...(list[0] as Obj | undefined), [path[2] as string]: v };
      continue;
    }
    const parent = path.slice(0, -1).reduce(section, out);
    parent[path.at(-1) as string] = convert(v);
  }
  const providers = section(out, 'providers');
  for (const b of BUILTIN_PROVIDERS) {
    const p = section(providers, b.id);
    p.protocol ??= b.protocol;
    p.baseUrl ??= b.baseUrl;
  }
  return out;
}

function describeIssues(source: string, err: z.ZodError, env: NodeJS.ProcessEnv): string {
  const lines = err.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(top level)';
    const fromEnv = ENV_FIELDS.find(([name, p]) => p.join('.') === path && env[name]);
    return `  ${path}${fromEnv ? ` (set by ${fromEnv[0]})` : ''}: ${i.message}`;
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
