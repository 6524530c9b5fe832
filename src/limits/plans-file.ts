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
  const parsed = plansFileSchema.safeParse(doc);
  if (parsed.success) return parsed.data.plans;
  const lines = parsed.error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(top level)';
    return `  ${path}: ${i.message}`;
  });
  throw new PlansError(`${source}: invalid plans\n${lines.join('\n')}`);
}
