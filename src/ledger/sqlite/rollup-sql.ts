// The rollup tables: sums of ledger rows per (customer, day, feature, model, provider), per (customer,
// month), per (day, feature, model, provider) and per (day, tag). They are kept forever (raw rows may be
// pruned; also per (ISO week, customer)), maintained with each ledger row (rollup-deltas.ts) and recomputed by `margin rollups rebuild`.
// Migration 3 is built from these constants: changing them later needs a new migration, never an edit.

export const DAY_MS = 86_400_000;

/** UsageSums (economics/reader.ts) as columns, in this order everywhere (DDL, upserts, rebuild). */
export const SUM_COLUMNS = [
  'requests',
  'used_requests',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_hit_requests',
  'cache_hit_input_tokens',
  'cost_pico',
  'unpriced_requests',
  'estimated_requests',
  'error_requests',
] as const;

const ALL_TOKENS =
  'input_tokens + output_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens';
const ALL_INPUT = 'input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens';

/** The same sums over raw `requests` rows, in SUM_COLUMNS order. A NULL cost adds 0 (and counts as unpriced). */
const RAW_SUMS = [
  'COUNT(*)',
  `SUM((${ALL_TOKENS}) > 0)`,
  'SUM(input_tokens)',
  'SUM(output_tokens)',
  'SUM(cache_read_tokens)',
  'SUM(cache_write_5m_tokens + cache_write_1h_tokens)',
  'SUM(cache_hit)',
  `SUM(CASE WHEN cache_hit = 1 THEN ${ALL_INPUT} ELSE 0 END)`,
  'COALESCE(SUM(cost_pico), 0)',
  'SUM(unpriced)',
  'SUM(estimated)',
  'SUM(status >= 400)',
];

export const DAY_OF_TS = `(ts / ${DAY_MS}) * ${DAY_MS}`;
const MONTH_OF_DAY = `CAST(strftime('%s', day / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000`;
export const MODEL_OF_ROW = 'COALESCE(model_served, model_requested)';
/** Tags are stored comma-joined and can hold neither a comma nor a quote (see pipeline/tags.ts). */
const TAGS_OF_ROW = `json_each('["' || replace(requests.tags, ',', '","') || '"]')`;

interface RollupSpec {
  table: string;
  /** Key columns: name, SQL type, and the expression over a raw row. */
  keys: readonly (readonly [string, 'TEXT' | 'INTEGER', string])[];
}

export const DETAIL: RollupSpec = {
  table: 'rollup_customer_detail_day',
  keys: [
    ['customer', 'TEXT', 'customer'],
    ['day', 'INTEGER', DAY_OF_TS],
    ['feature', 'TEXT', 'feature'],
    ['model', 'TEXT', MODEL_OF_ROW],
    ['provider', 'TEXT', 'provider'],
  ],
};
export const MONTH: RollupSpec = {
  table: 'rollup_customer_month',
  keys: [
    ['customer', 'TEXT', 'customer'],
    ['month', 'INTEGER', ''],
  ],
};
/** Per ISO week (Monday 00:00 UTC) and customer: the weekly view reads two weeks without scanning days. */
export const WEEK: RollupSpec = {
  table: 'rollup_customer_week',
  keys: [
    ['week', 'INTEGER', ''],
    ['customer', 'TEXT', 'customer'],
  ],
};
export const DIMS: RollupSpec = {
  table: 'rollup_dims_day',
  keys: [
    ['day', 'INTEGER', DAY_OF_TS],
    ['feature', 'TEXT', 'feature'],
    ['model', 'TEXT', MODEL_OF_ROW],
    ['provider', 'TEXT', 'provider'],
  ],
};
export const TAG: RollupSpec = {
  table: 'rollup_tag_day',
  keys: [
    ['day', 'INTEGER', DAY_OF_TS],
    ['tag', 'TEXT', 'tag.value'],
  ],
};

function createTable(s: RollupSpec): string {
  const keys = s.keys.map(([name, type]) => `${name} ${type} NOT NULL`);
  const sums = SUM_COLUMNS.map((c) => `${c} INTEGER NOT NULL`);
  const pk = s.keys.map(([name]) => name).join(', ');
  return `CREATE TABLE ${s.table} (${[...keys, ...sums].join(', ')}, PRIMARY KEY (${pk})) STRICT, WITHOUT ROWID;`;
}

/** An upsert of one group's sums (positional: keys, then SUM_COLUMNS). */
export function upsertSql(s: RollupSpec): string {
  const n = s.keys.length + SUM_COLUMNS.length;
  const add = SUM_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
  return `INSERT INTO ${s.table} VALUES (${Array(n).fill('?').join(', ')}) ON CONFLICT DO UPDATE SET ${add}`;
}

/** The horizon below which raw rows were pruned (0: never pruned). */
export const HORIZON = `(SELECT COALESCE(MAX(v), 0) FROM control WHERE k = 'prune_horizon')`;

/**
 * Recomputes the day rollups from raw rows for days at or after the prune horizon (older days keep their
 * rollups: their rows are gone), then every month from the customer × day detail (a month is its days).
 */
export function rebuildSql(): string {
  const fromRaw = (s: RollupSpec, from = 'requests', where = '') => {
    const keys = s.keys.map(([, , expr]) => expr).join(', ');
    const cond = `ts >= ${HORIZON}${where}`;
    return `DELETE FROM ${s.table} WHERE day >= ${HORIZON};
      INSERT INTO ${s.table} SELECT ${keys}, ${RAW_SUMS.join(', ')} FROM ${from} WHERE ${cond}
        GROUP BY ${s.keys.map((_, i) => i + 1).join(', ')};`;
  };
  const months = `DELETE FROM ${MONTH.table};
    INSERT INTO ${MONTH.table} SELECT customer, ${MONTH_OF_DAY} AS month,
        ${SUM_COLUMNS.map((c) => `SUM(${c})`).join(', ')}
      FROM ${DETAIL.table} GROUP BY customer, month;`;
  // 1970-01-01 was a Thursday: a day's Monday is (day number + 3) mod 7 days earlier.
  const weeks = `DELETE FROM ${WEEK.table};
    INSERT INTO ${WEEK.table} SELECT day - ((day / ${DAY_MS} + 3) % 7) * ${DAY_MS} AS week, customer,
        ${SUM_COLUMNS.map((c) => `SUM(${c})`).join(', ')}
      FROM ${DETAIL.table} GROUP BY week, customer;`;
  return [
    fromRaw(DETAIL),
    fromRaw(DIMS),
    fromRaw(TAG, `requests, ${TAGS_OF_ROW} AS tag`, ' AND requests.tags IS NOT NULL'),
    months,
    weeks,
  ].join('\n');
}

/** Migration 3: tags, the rollups (filled from the rows already there), pruned ids, plan history. */
export function rollupsMigration(): string {
  return `ALTER TABLE requests ADD COLUMN tags TEXT;
    ${[DETAIL, MONTH, WEEK, DIMS, TAG].map(createTable).join('\n')}
    CREATE TABLE pruned_requests (id_hash INTEGER PRIMARY KEY) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS customer_plan_history(customer TEXT, plan TEXT NULL, mrr_pico INTEGER NULL, from_ts INTEGER, to_ts INTEGER NULL);
    ${rebuildSql()}`;
}
