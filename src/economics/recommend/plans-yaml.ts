// `--write plans.yaml`: the recommended tiers in the plans file format (limits/plan-schema.ts), checked
// against that schema before it is written so the file always loads with `margin plans apply`.

import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parsePlans } from '../../limits/plans-file.js';
import { recommendedPlans } from './present-json.js';
import type { SourcedRecommendation } from './recommend.js';

export function plansYaml(r: SourcedRecommendation): string {
  if (r.tiers.length === 0)
    throw new Error('--write: no active customers in the period, so no plans to write');
  const doc = { plans: recommendedPlans(r) };
  parsePlans(doc, 'recommended plans');
  const header = [
    '# Tiers proposed by `margin recommend`',
    `# target margin ${(r.options.targetMarginBp / 100).toFixed(2)}%, over ${r.customerMonths} active customer-months`,
    '',
  ].join('\n');
  return header + stringify(doc);
}

export function writePlansYaml(file: string, r: SourcedRecommendation): void {
  const text = plansYaml(r);
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new Error(`--write: cannot write ${file} (${(e as Error).message})`);
  }
}
