#!/usr/bin/env node
// Sequential-latency load generator for the benchmark's sequential phase, in its own process so that
// nothing else (the orchestrator's child-output piping, other targets' bookkeeping) shares its event loop.
// One undici Client (one keep-alive connection) per target, one call at a time, no pause between calls.
// Each call is timed from issuing the request to the last body byte (and, for streams, the first body
// byte too) with process.hrtime, i.e. in nanoseconds, not autocannon's 1 ms histogram buckets.
//
// Rounds are interleaved: each round visits every target (a different one first each round) and, per
// target and body kind, makes a few unmeasured calls (the connection and caches may have gone cold while
// the others were measured), then `calls` measured ones. Drift in background load hits all targets alike.
//
//   node bench/sequential-client.js <config.json>     → JSON result on stdout
// config: { path, warmup, slotWarmup, rounds, calls, timeoutMs,
//           bodies: { json, stream }, targets: [{ name, port, headers, pid, kinds: ['json', 'stream'] }] }
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'undici';
import { summarize } from './lib/stats.js';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** One call; resolves { ok, totalMs, ttfbMs } or { ok: false, reason }. Never rejects. */
async function call(client, headers, body, kind) {
  const t0 = process.hrtime.bigint();
  try {
    const res = await client.request({ path: cfg.path, method: 'POST', headers, body });
    let ttfbMs = null;
    let first = null;
    let prev = null;
    let last = null;
    for await (const chunk of res.body) {
      if (ttfbMs === null) {
        ttfbMs = ms(t0);
        first = chunk;
      }
      prev = last;
      last = chunk;
    }
    const totalMs = ms(t0);
    // Checked after the clock stopped: a 200 with the shape this kind of call must have.
    if (res.statusCode !== 200) return { ok: false, reason: `status ${res.statusCode}` };
    if (kind === 'json' && first?.[0] !== 0x7b)
      return { ok: false, reason: 'JSON body does not start with {' };
    if (kind === 'stream' && !`${prev ?? ''}${last ?? ''}`.includes('[DONE]'))
      return { ok: false, reason: 'stream has no [DONE]' };
    return { ok: true, totalMs, ttfbMs };
  } catch (err) {
    return { ok: false, reason: String(err?.message ?? err) };
  }
}

/**
 * CPU time (ns) of every thread of pid, from /proc/<pid>/task/<tid>/schedstat: a slot is too short for
 * /proc/<pid>/stat's 10 ms clock ticks. Read outside the timed calls.
 */
function cpuNs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {} // the thread ended between the listing and the read
    }
    return ns;
  } catch {
    return null;
  }
}

async function main() {
  const targets = cfg.targets.map((t) => {
    const client = new Client(`http://127.0.0.1:${t.port}`, {
      pipelining: 1,
      keepAliveTimeout: 600_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: cfg.timeoutMs,
      bodyTimeout: cfg.timeoutMs,
    });
    const state = { ...t, client, connects: 0, served: 0, failures: 0, failureReasons: [] };
    client.on('connect', () => state.connects++);
    return state;
  });
  const bodies = { json: Buffer.from(cfg.bodies.json), stream: Buffer.from(cfg.bodies.stream) };
  // Per target and kind: every measured sample (pooled over rounds) and each round's summary.
  const pooled = new Map();
  const slots = [];

  const run = async (t, kind, n, measure) => {
    const total = [];
    const ttfb = [];
    let failures = 0;
    for (let i = 0; i < n; i++) {
      const r = await call(t.client, t.headers, bodies[kind], kind);
      if (!r.ok) {
        failures++;
        t.failures++;
        if (t.failureReasons.length < 5) t.failureReasons.push(`${kind}: ${r.reason}`);
        continue;
      }
      t.served++;
      if (measure) {
        total.push(r.totalMs);
        ttfb.push(r.ttfbMs);
      }
    }
    return { total, ttfb, failures };
  };

  try {
    for (const t of targets) for (const kind of t.kinds) await run(t, kind, cfg.warmup, false);
    for (let round = 0; round < cfg.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        for (const kind of t.kinds) {
          await run(t, kind, cfg.slotWarmup, false);
          const before = cpuNs(t.pid);
          const r = await run(t, kind, cfg.calls, true);
          const after = cpuNs(t.pid);
          const key = `${t.name}\0${kind}`;
          if (!pooled.has(key)) pooled.set(key, { total: [], ttfb: [], cpuNs: 0, cpuCalls: 0 });
          const p = pooled.get(key);
          p.total.push(...r.total);
          p.ttfb.push(...r.ttfb);
          if (before !== null && after !== null) {
            p.cpuNs += after - before;
            p.cpuCalls += r.total.length;
          }
          const s = summarize(r.total);
          slots.push({
            round,
            name: t.name,
            kind,
            n: s.n,
            p50: s.p50,
            p99: s.p99,
            ttfbP50: summarize(r.ttfb).p50,
            failures: r.failures,
          });
        }
      }
    }
  } finally {
    await Promise.all(targets.map((t) => t.client.close().catch(() => {})));
  }

  const out = { slots, targets: {} };
  for (const t of targets) {
    const kinds = {};
    for (const kind of t.kinds) {
      const p = pooled.get(`${t.name}\0${kind}`);
      kinds[kind] = {
        latency: summarize(p?.total ?? []),
        ttfb: summarize(p?.ttfb ?? []),
        cpuUsPerCall: p?.cpuCalls ? p.cpuNs / 1e3 / p.cpuCalls : null,
      };
    }
    out.targets[t.name] = {
      kinds,
      connects: t.connects,
      served: t.served,
      failures: t.failures,
      failureReasons: t.failureReasons,
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  console.error(`sequential-client: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
