// The clock is injected so price dates (and later cycle resets) are testable.
export interface Clock {
  now(): number; // epoch milliseconds
}
export const systemClock: Clock = { now: () => Date.now() };
