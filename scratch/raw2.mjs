import v8 from 'node:v8'; if (process.env.SEMI) v8.setFlagsFromString('--max-semi-space-size=' + process.env.SEMI);
import Database from 'better-sqlite3';
const db = new Database('/tmp/r2m.db', { readonly: true });
const t = (name, f) => { const s = performance.now(); const x = f(); console.log(name, (performance.now() - s).toFixed(0), 'ms', x.length ?? x); return x; };
for (let i = 0; i < 3; i++) {
t('customer', () => db.prepare(`select customer from rollup_customer_month`).pluck().all());
t('month', () => db.prepare(`select month from rollup_customer_month`).pluck().all());
t('cost int', () => db.prepare(`select cost_pico from rollup_customer_month`).pluck().all());
t('cust+cost raw', () => db.prepare(`select customer, cost_pico from rollup_customer_month`).raw().all());
t('cust+cost obj', () => db.prepare(`select customer, cost_pico from rollup_customer_month`).all());
}
