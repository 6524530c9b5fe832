// Runs the under-water check in the background: every interval, for the customers with calls since the
// last run, after their rows are in the ledger. Events go through the writer like every other event.
import type { EconomicsConfig } from '../config/economics-schema.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { ControlStore } from '../limits/control-store.js';
import type { Clock } from '../util/clock.js';
import { usdToPico } from '../util/money.js';
import { overheadPerCustomerPico } from './loaded-cost.js';
import type { EconomicsReader } from './reader.js';
import { underWaterEvents } from './under-water.js';

export interface UnderWaterWatch {
  /** Runs one check now (tests and the demo; the gateway also runs it on its own). */
  check(customers?: readonly string[]): Promise<number>;
  stop(): void;
}

export function startUnderWaterWatch(deps: {
  reader: EconomicsReader;
  control: ControlStore;
  writer: LedgerWriter;
  economics: EconomicsConfig;
  clock: Clock;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  intervalMs: number;
}): UnderWaterWatch {
  let running: Promise<number> | undefined;
  const once = async (also: readonly string[]): Promise<number> => {
    const customers = [...new Set([...deps.writer.takeTouched(), ...also])];
    if (customers.length === 0) return 0;
    await deps.writer.caughtUp(5_000);
    const plans = await deps.control.listPlans();
    const events = await underWaterEvents({
      reader: deps.reader,
      customers,
      history: (customer, from, to) => deps.control.planHistory(from, to, customer),
      now: deps.clock.now(),
      pricing: {
        prices: new Map(plans.map((p) => [p.name, usdToPico(p.spec.priceUsd)])),
        overheadPico: overheadPerCustomerPico(deps.economics),
      },
    });
    if (events.length > 0) await deps.writer.submit({ events });
    return events.length;
  };
  const check = async (also: readonly string[] = []): Promise<number> => {
    if (running) await running.catch(() => 0);
    running = once(also).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    check().catch((e: unknown) => deps.log('under-water check failed', { error: String(e) }));
  }, deps.intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
