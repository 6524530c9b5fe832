import Database from 'better-sqlite3';
const db = new Database('/tmp/big.db');
const cols = ['requests','used_requests','input_tokens','output_tokens','cache_read_tokens','cache_write_tokens','cache_hit_requests','cache_hit_input_tokens','cost_pico','unpriced_requests','estimated_requests','error_requests'];
db.exec(`CREATE TABLE IF NOT EXISTS rollup_customer_week (week INTEGER NOT NULL, customer TEXT NOT NULL, ${cols.map(c=>c+' INTEGER NOT NULL').join(', ')}, PRIMARY KEY (week, customer)) STRICT, WITHOUT ROWID;
DELETE FROM rollup_customer_week;
INSERT INTO rollup_customer_week SELECT day - ((day / 86400000 + 3) % 7) * 86400000 AS week, customer, ${cols.map(c=>`SUM(${c})`).join(', ')} FROM rollup_customer_detail_day GROUP BY week, customer;`);
console.log(db.prepare('select count(*) c from rollup_customer_week').get(), db.prepare('select count(*) c from rollup_customer_detail_day').get(), db.prepare('select count(*) c from rollup_customer_month').get());
