// Every raw ledger row in [from, to), newest first, through the store's paged `requests` read.
// Pages are cut by time: rows older than a page's last timestamp come from the next page, and the rows
// sharing that timestamp are read on their own, paged by id (the store orders by ts, then id).

import type { LedgerRow, LedgerStore } from '../../ledger/types.js';

const PAGE = 1000;

export async function scanRows(
  store: Pick<LedgerStore, 'requests'>,
  from: number,
  to: number,
  onRow: (row: LedgerRow) => void,
): Promise<void> {
  let upTo = to;
  for (;;) {
    const page = await store.requests({ from, to: upTo, limit: PAGE });
    if (page.length < PAGE) {
      for (const r of page) onRow(r);
      return;
    }
    const edge = page.at(-1)!.ts;
    for (const r of page) if (r.ts > edge) onRow(r);
    // The rows at exactly `edge`: one millisecond, paged by id.
    let before: string | undefined;
    for (;;) {
      const same = await store.requests({ from: edge, to: edge + 1, limit: PAGE, before });
      for (const r of same) onRow(r);
      if (same.length < PAGE) break;
      before = same.at(-1)!.id;
    }
    upTo = edge;
    if (upTo <= from) return;
  }
}
