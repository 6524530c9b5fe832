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
];
