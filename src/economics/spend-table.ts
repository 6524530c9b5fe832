// Per-customer spend as columns. A report reads one row per customer per bucket (100k customers): as
// objects with a BigInt each, every row was two heap objects that outlived several young-generation
// collections, and copying them cost more than reading them. Typed columns hold the numbers and the
// money (64-bit, as SQLite stores it) without an object per row.

/** One row per (customer, key), ascending by customer (ASCII ids: JS and SQLite agree) then key. */
export interface SpendTable {
  length: number;
  customer: string[];
  /** Start of the month, ISO week or day, epoch ms. */
  key: Float64Array;
  costPico: BigInt64Array;
  requests: Float64Array;
  /** Calls that used tokens. */
  usedRequests: Float64Array;
}

/** Builds a table row by row, growing its columns as needed. */
export class SpendTableBuilder {
  private n = 0;
  private customer: string[] = [];
  private key = new Float64Array(1024);
  private cost = new BigInt64Array(1024);
  private requests = new Float64Array(1024);
  private used = new Float64Array(1024);

  push(customer: string, key: number, costPico: bigint, requests: number, usedRequests: number): void {
    if (this.n === this.key.length) this.grow();
    this.customer.push(customer);
    this.key[this.n] = key;
    this.cost[this.n] = costPico;
    this.requests[this.n] = requests;
    this.used[this.n] = usedRequests;
    this.n++;
  }

  done(): SpendTable {
    const n = this.n;
    return {
      length: n,
      customer: this.customer,
      key: this.key.subarray(0, n),
      costPico: this.cost.subarray(0, n),
      requests: this.requests.subarray(0, n),
      usedRequests: this.used.subarray(0, n),
    };
  }

  private grow(): void {
    const size = this.key.length * 2;
    const copy = <T extends Float64Array | BigInt64Array>(a: T, b: T): T => {
      b.set(a as never);
      return b;
    };
    this.key = copy(this.key, new Float64Array(size));
    this.cost = copy(this.cost, new BigInt64Array(size));
    this.requests = copy(this.requests, new Float64Array(size));
    this.used = copy(this.used, new Float64Array(size));
  }
}

/** Rows of one customer with consecutive keys summed into one row per customer (daily → bucket). */
export function perCustomer(t: SpendTable): SpendTable {
  const b = new SpendTableBuilder();
  let i = 0;
  while (i < t.length) {
    const c = t.customer[i] as string;
    let cost = 0n;
    let requests = 0;
    let used = 0;
    const key = t.key[i] as number;
    for (; i < t.length && t.customer[i] === c; i++) {
      cost += t.costPico[i] as bigint;
      requests += t.requests[i] as number;
      used += t.usedRequests[i] as number;
    }
    b.push(c, key, cost, requests, used);
  }
  return b.done();
}

/** The rows as objects (tests and small reads). */
export function spendRows(
  t: SpendTable,
): { customer: string; key: number; costPico: bigint; requests: number; usedRequests: number }[] {
  return Array.from({ length: t.length }, (_, i) => ({
    customer: t.customer[i] as string,
    key: t.key[i] as number,
    costPico: t.costPico[i] as bigint,
    requests: t.requests[i] as number,
    usedRequests: t.usedRequests[i] as number,
  }));
}
