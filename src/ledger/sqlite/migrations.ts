import { rollupsMigration } from './rollup-sql.js';

// Forward-only schema migrations; `user_version` records how far a database has come.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE requests (
     id TEXT PRIMARY KEY,
     ts INTEGER NOT NULL,
     customer TEXT NOT NULL,
     key_id TEXT NOT NULL,
     feature TEXT NOT NULL,
     provider TEXT NOT NULL,
     protocol TEXT NOT NULL,
     model_requested TEXT NOT NULL,
     model_served TEXT,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     reasoning_tokens INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL,
     cache_write_1h_tokens INTEGER NOT NULL,
     cache_read_tokens INTEGER NOT NULL,
     cost_pico INTEGER,
     unpriced INTEGER NOT NULL,
     estimated INTEGER NOT NULL,
     cache_hit INTEGER NOT NULL,
     status INTEGER NOT NULL,
     error_code TEXT,
     latency_ms REAL NOT NULL,
     ttft_ms REAL,
     streamed INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX requests_ts ON requests (ts);
   CREATE INDEX requests_customer_ts ON requests (customer, ts);
   CREATE TABLE virtual_keys (
     id TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('customer', 'app')),
     customer TEXT,
     name TEXT,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   ) STRICT;`,
  // Plans, caps and wallets (issue 3): control-plane tables, the reservation journal, wallet movements and
  // the event outbox with its webhook deliveries.
  `ALTER TABLE requests ADD COLUMN model_routed TEXT;
   CREATE TABLE plans (
     name TEXT PRIMARY KEY,
     spec TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE customers (
     id TEXT PRIMARY KEY,
     plan TEXT,
     cycle_day INTEGER NOT NULL CHECK (cycle_day BETWEEN 1 AND 31),
     wallet TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE wallet_entries (
     id TEXT PRIMARY KEY,
     wallet TEXT NOT NULL,
     ts INTEGER NOT NULL,
     amount_pico INTEGER NOT NULL,
     reason TEXT NOT NULL,
     request_id TEXT,
     note TEXT
   ) STRICT;
   CREATE INDEX wallet_entries_wallet_ts ON wallet_entries (wallet, ts);
   CREATE TABLE reservations (
     id TEXT PRIMARY KEY,
     customer TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     spec TEXT NOT NULL
   ) STRICT;
   CREATE TABLE events (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     customer TEXT NOT NULL,
     ts INTEGER NOT NULL,
     dedupe_key TEXT NOT NULL UNIQUE,
     payload TEXT NOT NULL
   ) STRICT;
   CREATE INDEX events_ts ON events (ts);
   CREATE TABLE webhook_deliveries (
     event_id TEXT NOT NULL,
     endpoint TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
     attempts INTEGER NOT NULL,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT,
     delivered_at INTEGER,
     PRIMARY KEY (event_id, endpoint)
   ) STRICT;
   CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
   CREATE TABLE control (
     k TEXT PRIMARY KEY,
     v INTEGER NOT NULL
   ) STRICT;
   INSERT INTO control VALUES ('revision', 0);`,
  // Economics (issue 8): request tags, daily/monthly rollups kept forever, pruned ids, plan history.
  rollupsMigration(),
  // Plan history (issue 8): each customer's plan and MRR as spans [from_ts, to_ts), to_ts NULL while in
  // force, so revenue is attributed per day to the plan then in force. Written identically by another
  // branch, hence IF NOT EXISTS; the backfill gives each existing customer one open span from its creation.
  `CREATE TABLE IF NOT EXISTS customer_plan_history (customer TEXT NOT NULL, plan TEXT, mrr_pico INTEGER, from_ts INTEGER NOT NULL, to_ts INTEGER);
   CREATE INDEX IF NOT EXISTS customer_plan_history_customer_from ON customer_plan_history (customer, from_ts);
   INSERT INTO customer_plan_history (customer, plan, mrr_pico, from_ts, to_ts)
     SELECT c.id, c.plan, NULL, c.created_at, NULL FROM customers c
     WHERE NOT EXISTS (SELECT 1 FROM customer_plan_history h WHERE h.customer = c.id);`,
];
