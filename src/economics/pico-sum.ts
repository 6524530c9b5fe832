// An exact sum of pico-USD amounts that allocates nothing per addition. Every `a += b` on bigints makes a
// new heap object; a report adds a few amounts for each of 100k customers per bucket, and collecting those
// objects cost more than the arithmetic. Amounts below 2^52 in size are added as doubles, which is exact
// while the running part stays below 2^53; it is moved into the bigint part before it can get there.
const LIMIT = 2 ** 52;
const BIG_LIMIT = BigInt(LIMIT);

export class PicoSum {
  private hi = 0n;
  private lo = 0;

  add(x: bigint): void {
    if (x < BIG_LIMIT && x > -BIG_LIMIT) {
      this.lo += Number(x);
      if (this.lo >= LIMIT || this.lo <= -LIMIT) this.flush();
    } else this.hi += x;
  }

  value(): bigint {
    return this.hi + BigInt(this.lo);
  }

  private flush(): void {
    this.hi += BigInt(this.lo);
    this.lo = 0;
  }
}
