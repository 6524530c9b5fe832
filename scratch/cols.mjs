import Database from 'better-sqlite3';
const db = new Database('/tmp/big.db', { readonly: true });
const t = (name, f) => { const s = process.cpuUsage(); const x = f(); const u = process.cpuUsage(s); console.log(name, ((u.user + u.system) / 1000).toFixed(0), 'ms cpu', x.length ?? x); return x; };
const all14 = 'customer, month, requests, used_requests, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_hit_requests, cache_hit_input_tokens, cost_pico, unpriced_requests, estimated_requests, error_requests';
for (let i = 0; i < 3; i++) {
  t('14 cols obj', () => db.prepare(`select ${all14} from rollup_customer_month`).all());
  t('5 cols obj', () => db.prepare(`select customer, month, cost_pico, requests, used_requests from rollup_customer_month`).all());
  t('5 cols raw', () => db.prepare(`select customer, month, cost_pico, requests, used_requests from rollup_customer_month`).raw().all());
  t('history', () => db.prepare(`select customer, plan, mrr_pico, from_ts, to_ts from customer_plan_history order by customer, from_ts`).all());
  t('count', () => db.prepare(`select count(*) from rollup_customer_month`).pluck().get());
}
