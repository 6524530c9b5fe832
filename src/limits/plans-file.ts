import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type PlanSpec, plansFileSchema } from './plan-schema.js';

export class PlansError extends Error {
  override name = 'PlansError';
}

/** Reads and validates plans.yaml; errors name the file, the plan and the field. */
export function readPlansFile(file: string): Record<string, PlanSpec> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PlansError(`${file}: cannot read plans file (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PlansError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  return parsePlans(doc, file);
}

export function parsePlans(doc: unknown, source = 'plans'): Record<string, PlanSpec> {
  const parsed = plansFileSchema.safeParse(normalise(doc));
  if (parsed.success) return parsed.data.plans;
  const lines = parsed.error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(top level)';
    return `  ${path}: ${i.message}`;
  });
  throw new PlansError(`${source}: invalid plans\n${lines.join('\n')}`);
}

// The documented spelling is camelCase; snake_case field names are accepted too (YAML users write both).
// Only known field names are renamed: keys under lanes, features and creditsPerRun are user names.
const SNAKE: Record<string, string> = {
  price_usd: 'priceUsd',
  threshold_percent: 'thresholdPercent',
  hard_cap: 'hardCap',
  lower_max_tokens: 'lowerMaxTokens',
  credits_per_usd: 'creditsPerUsd',
  credits_per_run: 'creditsPerRun',
  max_percent: 'maxPercent',
  price_per_unit_usd: 'pricePerUnitUsd',
  rate_limits: 'rateLimits',
  key_rpm: 'keyRpm',
  key_tpm: 'keyTpm',
  upgrade_url: 'upgradeUrl',
  wallet_low_usd: 'walletLowUsd',
};
const USER_KEYED = new Set(['lanes', 'features', 'creditsPerRun']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function renameFields(v: unknown): unknown {
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, child] of Object.entries(v)) {
    const key = SNAKE[k] ?? k;
    out[key] = USER_KEYED.has(key) && isObj(child) ? mapValues(child, renameFields) : renameFields(child);
  }
  return out;
}

const mapValues = (o: Obj, f: (v: unknown) => unknown): Obj =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** `plans` as a map by name (documented) or a list of plans with a `name` each; field spellings unified. */
function normalise(doc: unknown): unknown {
  if (!isObj(doc)) return doc;
  let plans = doc.plans;
  if (Array.isArray(plans) && plans.every((p) => isObj(p) && typeof p.name === 'string')) {
    plans = Object.fromEntries((plans as Obj[]).map(({ name, ...rest }) => [name as string, rest]));
  }
  return { ...doc, plans: isObj(plans) ? mapValues(plans, renameFields) : plans };
}
