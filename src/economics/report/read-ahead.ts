// The report's per-customer spend reads are asked for before anything else, so a reader that serves them
// on another thread (the SQLite one does) reads them while this thread reads plan history and prices
// revenue; each answer is then handed out once, to the bucket that asked for it.
import type { EconomicsReader, SpendGrain } from '../reader.js';
import type { SpendTable } from '../spend-table.js';

export function readAhead(
  reader: EconomicsReader,
  queries: readonly { grain: SpendGrain; from: number; to: number }[],
): EconomicsReader {
  const key = (grain: SpendGrain, from: number, to: number) => `${grain}:${from}:${to}`;
  const pending = new Map<string, Promise<SpendTable>>();
  for (const q of queries) {
    const k = key(q.grain, q.from, q.to);
    if (pending.has(k)) continue;
    const read = reader.customerSpend(q.grain, q.from, q.to);
    read.catch(() => {}); // surfaced when the bucket awaits it
    pending.set(k, read);
  }
  return new Proxy(reader, {
    get(target, prop, receiver) {
      if (prop !== 'customerSpend') {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return (grain: SpendGrain, from: number, to: number, customers?: readonly string[]) => {
        const k = key(grain, from, to);
        const read = customers ? undefined : pending.get(k);
        if (!read) return target.customerSpend(grain, from, to, customers);
        pending.delete(k);
        return read;
      };
    },
  });
}
