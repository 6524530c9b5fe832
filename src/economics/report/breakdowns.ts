// Cost by feature, model, provider and tag; the share of requests and cost on small / mid / large models.

import { percentText, usd } from '../ratio.js';
import type { DimensionDay, TagDay, UsageSums } from '../reader.js';
import type { BreakdownRow, ModelClassRow } from './types.js';

export type ModelClass = 'small' | 'mid' | 'large' | 'unpriced';

interface Acc {
  requests: number;
  costPico: bigint;
}

function rows(groups: Map<string, Acc>): BreakdownRow[] {
  let requests = 0;
  let cost = 0n;
  for (const g of groups.values()) {
    requests += g.requests;
    cost += g.costPico;
  }
  return [...groups]
    .map(([key, g]) => ({
      key,
      requests: g.requests,
      cost_usd: usd(g.costPico),
      request_share_pct: percentText(BigInt(g.requests), BigInt(requests)),
      cost_share_pct: percentText(g.costPico, cost),
    }))
    .sort((a, b) => {
      const ca = groups.get(a.key)?.costPico ?? 0n;
      const cb = groups.get(b.key)?.costPico ?? 0n;
      return ca === cb ? a.key.localeCompare(b.key) : ca > cb ? -1 : 1;
    });
}

export function groupBy<T extends UsageSums>(items: readonly T[], key: (t: T) => string): Map<string, Acc> {
  const m = new Map<string, Acc>();
  for (const t of items) {
    const k = key(t);
    const a = m.get(k);
    if (a) {
      a.requests += t.requests;
      a.costPico += t.costPico;
    } else m.set(k, { requests: t.requests, costPico: t.costPico });
  }
  return m;
}

export function breakdown<T extends UsageSums>(items: readonly T[], key: (t: T) => string): BreakdownRow[] {
  return rows(groupBy(items, key));
}

export const byTag = (tags: readonly TagDay[]): BreakdownRow[] => breakdown(tags, (t) => t.tag);

/** `classOf(provider, model)` comes from config or the catalog's output price (see model-class.ts). */
export function modelClasses(
  dims: readonly DimensionDay[],
  classOf: (provider: string, model: string) => ModelClass,
): ModelClassRow[] {
  const groups = groupBy(dims, (d) => classOf(d.provider, d.model));
  const all = rows(groups);
  return (['small', 'mid', 'large', 'unpriced'] as const).map((c) => {
    const r = all.find((x) => x.key === c);
    return {
      class: c,
      requests: r?.requests ?? 0,
      cost_usd: r?.cost_usd ?? '0',
      request_share_pct: r?.request_share_pct ?? (all.length ? '0.00' : null),
      cost_share_pct: r?.cost_share_pct ?? (all.length ? '0.00' : null),
    };
  });
}
