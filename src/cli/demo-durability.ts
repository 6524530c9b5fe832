import Database from 'better-sqlite3';
import OpenAI from 'openai';
import type { Gateway } from '../gateway.js';
import { createVirtualKey } from '../identity/virtual-keys.js';

/**
 * The demo's third act: another connection holds the ledger's write lock (as a backup or a long report
 * might), yet calls are answered at once — their records are in the request journal — and land in the
 * ledger as soon as the lock is let go.
 */
export async function demoDurability(gw: Gateway, db: string, say: (s: string) => void): Promise<void> {
  const { key } = await createVirtualKey(gw.store, { customer: 'hooli', now: Date.now() });
  const openai = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  await gw.writer.drain();
  const rowsOf = async () => (await gw.store.requests({ customer: 'hooli', limit: 100 })).length;
  say('\nDurability: another connection takes the ledger’s write lock; calls go on.');
  const other = new Database(db);
  other.exec('BEGIN IMMEDIATE');
  try {
    for (let i = 1; i <= 3; i++) {
      const t0 = performance.now();
      await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Lock-time call ${i}` }],
      });
      say(`  call ${i} answered in ${(performance.now() - t0).toFixed(1)} ms while the ledger was locked`);
    }
    const health = (await (await fetch(`${gw.url}/healthz`)).json()) as { status: string; backlog: number };
    say(
      `  ledger rows for hooli so far: ${await rowsOf()}; /healthz: ${health.status}, ${health.backlog} op(s) waiting in the journal`,
    );
  } finally {
    other.exec('COMMIT');
    other.close();
  }
  await gw.writer.drain(30_000);
  say(`  lock released: ledger rows for hooli now: ${await rowsOf()} — nothing lost, nothing twice`);
}
