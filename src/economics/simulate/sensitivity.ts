import { type Levers, leversSchema } from './scenario-schema.js';
import { activeLevers, type SimulateInput, simulate } from './simulate.js';

// Margin floor of each tier as each lever moves alone: no levers, each lever at its scenario value with
// the others off, then all together. Each row is a whole simulation (tiers may gain or lose customers
// when a USD cap starts or stops covering them).

export interface SensitivityRow {
  levers: string;
  /** Margin floor percent by tier (null: no price or no active customers). */
  margin_floor_percent: Record<string, string | null>;
}

const NONE: Levers = leversSchema.parse({});

/** Only the named lever of `levers`, the rest off. */
function only(levers: Levers, name: string): Levers {
  const key = name as keyof Levers;
  return { ...NONE, [key]: levers[key] } as Levers;
}

export function sensitivity(input: SimulateInput): SensitivityRow[] {
  const levers = input.scenario.levers;
  const names = activeLevers(levers);
  const runs: [string, Levers][] = [
    ['none', NONE],
    ...names.map((n): [string, Levers] => [n, only(levers, n)]),
  ];
  if (names.length > 1) runs.push(['all', levers]);
  return runs.map(([label, l]) => {
    const r = simulate({ ...input, scenario: { ...input.scenario, levers: l } });
    return {
      levers: label,
      margin_floor_percent: Object.fromEntries(r.tiers.map((t) => [t.plan, t.margin_floor_percent])),
    };
  });
}
