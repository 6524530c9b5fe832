import type Database from 'better-sqlite3';
import { SUM_COLUMNS } from './rollup-sql.js';

const SUMS = SUM_COLUMNS.length;
const COST = SUM_COLUMNS.indexOf('cost_pico');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
type Key = string | number;

/**
 * One rollup table's groups in a write transaction: each group's key columns and sums (SUM_COLUMNS order),
 * kept in columns that grow as needed and are reused by the next transaction. A group is a number, not an
 * object: a batch of 100k rows would otherwise leave 100k objects for the garbage collector to copy.
 * Sums are integers in doubles, exact below 2^53; cost, which can pass that, is carried into a bigint per
 * group before it would.
 */
export class GroupTable {
  /** Groups opened in this transaction. */
  size = 0;
  private sums = new Float64Array(SUMS * 256);
  private readonly carry = new Map<number, bigint>();
  private readonly keys: Key[][];
  private readonly params: (Key | bigint)[];

  constructor(
    private readonly upsert: Database.Statement,
    private readonly keyCount: number,
  ) {
    this.keys = Array.from({ length: keyCount }, () => []);
    this.params = new Array(keyCount + SUMS);
  }

  /** Opens a group with these keys (as many as the table has; the rest are ignored): its number. */
  open(k0: Key, k1: Key, k2: Key = 0, k3: Key = 0, k4: Key = 0): number {
    const g = this.size++;
    if (this.size * SUMS > this.sums.length) {
      const more = new Float64Array(this.sums.length * 2);
      more.set(this.sums);
      this.sums = more;
    }
    this.sums.fill(0, g * SUMS, this.size * SUMS);
    const k = this.keys;
    k[0]![g] = k0;
    k[1]![g] = k1;
    if (this.keyCount > 2) {
      k[2]![g] = k2;
      k[3]![g] = k3;
    }
    if (this.keyCount > 4) k[4]![g] = k4;
    return g;
  }

  /** Adds one row's sums (SUM_COLUMNS order) to group `g`; `rowCarry` is a row cost past 2^53, if any. */
  add(g: number, row: Float64Array, rowCarry: bigint | undefined): void {
    const s = this.sums;
    const base = g * SUMS;
    for (let i = 0; i < SUMS; i++) if (i !== COST) s[base + i]! += row[i]!;
    const cost = s[base + COST]!;
    if (cost > MAX_SAFE - row[COST]!) {
      this.carry.set(g, (this.carry.get(g) ?? 0n) + BigInt(cost));
      s[base + COST] = row[COST]!;
    } else s[base + COST] = cost + row[COST]!;
    if (rowCarry !== undefined) this.carry.set(g, (this.carry.get(g) ?? 0n) + rowCarry);
  }

  /** Upserts every group (its keys, then its sums: one array bound per group) and starts empty again. */
  flush(): void {
    const p = this.params;
    const k = this.keys;
    const n = this.keyCount;
    const s = this.sums;
    for (let g = 0; g < this.size; g++) {
      for (let c = 0; c < n; c++) p[c] = k[c]![g]!;
      const base = g * SUMS;
      for (let i = 0; i < SUMS; i++) p[n + i] = s[base + i]!;
      // A bigint binds as an integer (a number would bind as a float, inexact past 2^53).
      p[n + COST] = (this.carry.get(g) ?? 0n) + BigInt(s[base + COST]!);
      this.upsert.run(p);
    }
    this.clear();
  }

  /** Forgets this transaction's groups (after a flush, or when the transaction rolled back). */
  clear(): void {
    this.size = 0;
    this.carry.clear();
  }
}
