import Database from 'better-sqlite3';
const db = new Database('/tmp/r2m.db', { readonly: true });
const t = (name, f) => { const s = performance.now(); const x = f(); console.log(name, (performance.now() - s).toFixed(0), 'ms', x.length ?? x); return x; };
const from = Date.UTC(2026, 0, 1), to = Date.UTC(2026, 3, 1);
const cols = 'requests, used_requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_hit_requests, cache_hit_input_tokens, CAST(cost_pico AS TEXT) AS cost_pico, unpriced_requests, estimated_requests, error_requests';
for (let i = 0; i < 2; i++) {
t('objects 14 cols', () => db.prepare(`select customer, month, ${cols} from rollup_customer_month where month >= ? and month < ? order by customer, month`).all(from, to));
t('raw 14 cols', () => db.prepare(`select customer, month, ${cols} from rollup_customer_month where month >= ? and month < ? order by customer, month`).raw().all(from, to));
t('raw 5 cols', () => db.prepare(`select customer, month, cost_pico, requests, used_requests from rollup_customer_month where month >= ? and month < ?`).raw().all(from, to));
t('raw 5 cols text cost', () => db.prepare(`select customer, month, cast(cost_pico as text), requests, used_requests from rollup_customer_month where month >= ? and month < ?`).raw().all(from, to));
t('iterate raw 5', () => { let n = 0; for (const r of db.prepare(`select customer, month, cost_pico, requests, used_requests from rollup_customer_month where month >= ? and month < ?`).raw().iterate(from, to)) n++; return n; });
const rows = t('raw text', () => db.prepare(`select cast(cost_pico as text) from rollup_customer_month`).pluck().all());
t('bigint parse', () => rows.map((x) => BigInt(x)));
}
