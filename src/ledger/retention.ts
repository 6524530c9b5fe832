import type { Clock } from '../util/clock.js';

const DAY_MS = 86_400_000;

/** Raw-row retention: rollups are kept forever, raw rows only as long as configured. */
export interface Retention {
  /**
   * Deletes raw rows older than `before` floored to 00:00 UTC (the horizon), keeping their ids so they
   * are never added again. Figures read from rollups do not change. Returns the horizon and the count.
   */
  prune(before: number): Promise<{ horizon: number; deleted: number }>;
  /**
   * Recomputes the rollups from raw rows for days from the prune horizon on; older days keep their rollups
   * (their rows are gone). Returns that horizon (0: never pruned).
   */
  rebuildRollups(): Promise<{ horizon: number }>;
}

/** The horizon for keeping `retainDays` whole UTC days before today (today is always kept). */
export function retentionHorizon(retainDays: number, now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - retainDays * DAY_MS;
}

/**
 * The gateway's own pruning when `ledger.retainDays` is set: once at start, then once a day, in the
 * background (the rows go on the writer thread, in chunks between ledger commits). `stop` waits for a
 * prune in progress, so the store can close after it.
 */
export function startDailyPrune(
  retention: Retention,
  retainDays: number,
  clock: Clock,
  log: (msg: string, fields?: Record<string, unknown>) => void,
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(async () => {
      try {
        const { horizon, deleted } = await retention.prune(retentionHorizon(retainDays, clock.now()));
        if (deleted > 0)
          log('pruned raw ledger rows (their figures stay in the rollups)', {
            deleted,
            before: new Date(horizon).toISOString(),
          });
      } catch (e) {
        log('pruning the ledger failed; it is tried again tomorrow', { error: String(e) });
      }
    });
  };
  run();
  const timer = setInterval(run, DAY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
