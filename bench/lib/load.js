// Load generation. Throughput and fixed-rate runs use autocannon's programmatic API; latencies are
// taken from autocannon's per-response `response` event (float milliseconds from process.hrtime)
// rather than its histogram, which only has 1 ms resolution — too coarse for sub-millisecond deltas.
// Streaming time-to-first-byte uses a plain node:http keep-alive client, one request at a time.
import http from 'node:http';
import autocannon from 'autocannon';
import { summarize } from './stats.js';

const MAX_SAMPLES = 2_000_000; // per autocannon instance

/**
 * One autocannon run. Returns req/s (2xx responses ÷ elapsed seconds), latency summary (ms, 2xx only),
 * status/error counts and the load generator's own CPU use.
 */
export async function runLoad(opts) {
  const cpu0 = process.cpuUsage();
  const r = await autocannonRaw(opts);
  const cpu = process.cpuUsage(cpu0);
  return finish([r], cpu, opts.overallRate ? { connections: opts.connections, staggered: false } : undefined);
}

/**
 * Fixed-rate run made of `instances` single-connection autocannon instances, each with
 * overallRate = rate / instances, started 1000 / instances ms apart. autocannon's rate limiter sends a
 * connection's whole per-second quota back-to-back when its 1 s timer ticks; staggering the instances
 * spreads those mini-bursts evenly over each second instead of releasing all connections' quotas at once.
 */
export async function runStaggeredRate({ rate, instances, durationSec, ...rest }) {
  const cpu0 = process.cpuUsage();
  const per = rate / instances;
  const runs = [];
  for (let i = 0; i < instances; i++) {
    runs.push(
      new Promise((r) => setTimeout(r, (1000 / instances) * i)).then(() =>
        autocannonRaw({ ...rest, connections: 1, overallRate: Math.round(per), durationSec }),
      ),
    );
  }
  const results = await Promise.all(runs);
  const cpu = process.cpuUsage(cpu0);
  return finish(results, cpu, { connections: instances, staggered: true });
}

function finish(raws, cpu, rateInfo) {
  const elapsedSec = Math.max(...raws.map((r) => r.elapsedSec));
  const all = new Float64Array(raws.reduce((a, r) => a + r.samples.length, 0));
  let off = 0;
  for (const r of raws) {
    all.set(r.samples, off);
    off += r.samples.length;
  }
  const sum = (k) => raws.reduce((a, r) => a + r[k], 0);
  return {
    requests: sum('ok'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    elapsedSec,
    // Each instance's own rate, summed (staggered instances start and end at different times).
    rps: raws.reduce((a, r) => a + r.ok / r.elapsedSec, 0),
    latency: summarize(all),
    loadgenCpuPct: ((cpu.user + cpu.system) / 1e6 / elapsedSec) * 100,
    ...(rateInfo ?? {}),
  };
}

function autocannonRaw({ url, headers, body, connections, durationSec, overallRate, timeoutSec = 10 }) {
  return new Promise((resolve, reject) => {
    const samples = new Float64Array(MAX_SAMPLES);
    let n = 0;
    let ok = 0;
    let non2xx = 0;
    const t0 = process.hrtime.bigint();
    const opts = {
      url,
      method: 'POST',
      headers,
      body,
      connections,
      duration: durationSec,
      timeout: timeoutSec,
    };
    if (overallRate) opts.overallRate = overallRate;
    const instance = autocannon(opts, (err, result) => {
      if (err) {
        reject(err);
        return;
      }
      resolve({
        samples: samples.subarray(0, n),
        ok,
        non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        elapsedSec: Number(process.hrtime.bigint() - t0) / 1e9,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        if (n < MAX_SAMPLES) samples[n++] = responseTime;
      } else non2xx++;
    });
  });
}

/** A bounded keep-alive POST; resolves { status, headers, body, ttfbMs, totalMs }. */
export function post(agent, port, path, headers, body, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, 'content-length': payload.length },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        let ttfbMs = null;
        res.on('data', (c) => {
          if (ttfbMs === null) ttfbMs = Number(process.hrtime.bigint() - t0) / 1e6;
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ttfbMs,
            totalMs: Number(process.hrtime.bigint() - t0) / 1e6,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    const t0 = process.hrtime.bigint();
    req.end(payload);
  });
}

/**
 * Streaming time-to-first-body-byte: `count` sequential `stream: true` requests (after `warmup`
 * unmeasured ones) over one keep-alive connection, stopping early at `maxSec`.
 */
export async function measureTtfb({ port, path, headers, body, count, warmup, maxSec }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ttfb = [];
  const total = [];
  let failures = 0;
  let served = 0;
  const deadline = Date.now() + maxSec * 1000;
  try {
    for (let i = 0; i < warmup + count && Date.now() < deadline; i++) {
      const r = await post(agent, port, path, headers, body);
      if (r.status !== 200 || r.ttfbMs === null || !r.body.includes('data:')) {
        failures++;
        continue;
      }
      served++;
      if (i >= warmup) {
        ttfb.push(r.ttfbMs);
        total.push(r.totalMs);
      }
    }
  } finally {
    agent.destroy();
  }
  return { ttfb: summarize(ttfb), streamTotal: summarize(total), failures, served };
}
