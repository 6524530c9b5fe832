import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PicoSum } from '../src/economics/pico-sum.js';
import { perCustomer, SpendTableBuilder, spendRows } from '../src/economics/spend-table.js';

test('PicoSum equals the bigint sum for small, huge and negative amounts, across its flush point', () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const sum = new PicoSum();
  let want = 0n;
  for (let i = 0; i < 20_000; i++) {
    // Mostly amounts near 2^52 (so the double part flushes often), some past 2^63 / 2, some negative.
    const r = rand();
    const x =
      r < 0.6
        ? BigInt(Math.floor(rand() * 2 ** 52))
        : r < 0.8
          ? -BigInt(Math.floor(rand() * 2 ** 40))
          : r < 0.95
            ? BigInt(Math.floor(rand() * 1000))
            : 2n ** 62n + BigInt(i);
    sum.add(x);
    want += x;
  }
  assert.equal(sum.value(), want);
  assert.ok(want > 2n ** 63n, 'the test reaches sums past 2^63');
});

test('a spend table keeps rows in order, grows past its first capacity, and sums days per customer', () => {
  const b = new SpendTableBuilder();
  const days = 3000;
  for (const c of ['a', 'b'])
    for (let d = 0; d < days; d++) b.push(c, d * 86_400_000, BigInt(d) * 10n ** 12n, 2, d % 2);
  const t = b.done();
  assert.equal(t.length, 2 * days);
  const per = spendRows(perCustomer(t));
  const cost = ((BigInt(days) * BigInt(days - 1)) / 2n) * 10n ** 12n;
  assert.deepEqual(per, [
    { customer: 'a', key: 0, costPico: cost, requests: 2 * days, usedRequests: days / 2 },
    { customer: 'b', key: 0, costPico: cost, requests: 2 * days, usedRequests: days / 2 },
  ]);
});
