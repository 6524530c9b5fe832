import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { createVirtualKey } from '../../src/identity/virtual-keys.js';
import type { LedgerRow } from '../../src/ledger/types.js';
import { type Standin, startStandin } from '../../src/standin/server.js';
import type { Clock } from '../../src/util/clock.js';

export const UPSTREAM_OPENAI_KEY = 'sk-upstream-openai-secret';
export const UPSTREAM_ANTHROPIC_KEY = 'sk-ant-upstream-secret';
export const ADMIN_KEY = 'admin-key-for-tests-0123456789';

export interface Harness {
  standin: Standin;
  gateway: Gateway;
  db: string;
  key: string; // a customer key for customer "acme"
  openai: OpenAI;
  anthropic: Anthropic;
  /** The ledger row of a request, after the writer has committed everything. */
  lastRow(): Promise<LedgerRow>;
  rows(): Promise<LedgerRow[]>;
  close(): Promise<void>;
}

/** A stand-in upstream and a real gateway on a fresh SQLite file, with SDK clients pointed at it by URL only. */
export async function startHarness(
  opts: {
    configFile?: string;
    /** Rewrites the config file once the stand-in's URL is known (for providers declared in the file). */
    rewriteConfig?: (text: string, standinUrl: string) => string;
    env?: Record<string, string>;
    clock?: Clock;
  } = {},
): Promise<Harness> {
  const standin = await startStandin({ port: 0 });
  if (opts.configFile && opts.rewriteConfig)
    writeFileSync(opts.configFile, opts.rewriteConfig(readFileSync(opts.configFile, 'utf8'), standin.url));
  const db = join(mkdtempSync(join(tmpdir(), 'margin-test-')), 'ledger.db');
  const config = loadConfig({
    file: opts.configFile,
    env: {
      MARGIN_UPSTREAM_OPENAI_URL: `${standin.url}/v1`,
      MARGIN_UPSTREAM_ANTHROPIC_URL: standin.url,
      OPENAI_API_KEY: UPSTREAM_OPENAI_KEY,
      ANTHROPIC_API_KEY: UPSTREAM_ANTHROPIC_KEY,
      MARGIN_ADMIN_KEY: ADMIN_KEY,
      ...opts.env,
    },
    overrides: { port: 0, db },
  });
  const logs: string[] = [];
  const gateway = await startGateway(config, {
    clock: opts.clock,
    log: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
  });
  const { key } = await createVirtualKey(gateway.store, { customer: 'acme', now: Date.now() });
  const openai = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
  const rows = async () => {
    await gateway.writer.drain();
    return gateway.store.requests({ limit: 1000 });
  };
  return {
    standin,
    gateway,
    db,
    key,
    openai,
    anthropic,
    rows,
    async lastRow() {
      const all = await rows();
      if (!all[0]) throw new Error('ledger is empty');
      return all[0];
    },
    async close() {
      await gateway.close();
      await standin.close();
    },
  };
}

/** Polls until `check` passes (for effects that land after the client already returned, e.g. aborts). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
