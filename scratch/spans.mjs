import Database from 'better-sqlite3';
const db = new Database('/tmp/big.db', { readonly: true });
console.log(db.prepare('select count(*) n, count(distinct customer) c from customer_plan_history').get());
console.log(db.prepare("select count(*) from (select customer from customer_plan_history group by customer having count(*) > 1)").get());
