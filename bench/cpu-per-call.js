#!/usr/bin/env node
// Developer tool: CPU time per sequential JSON call, per thread, for the bare proxy and Margin builds, in
// interleaved rounds in one run (A/B a change against a saved build with --base=<dir holding dist/>).
// Wall time on a shared 2-core machine is noisy; per-thread CPU (/proc/<pid>/task/*/schedstat) is not.
//
//   node bench/cpu-per-call.js [--calls=2000] [--rounds=3] [--base=/tmp/base] [--prof=<dir>]
//        [--targets=bare,margin,margin-enforced,base-margin,base-enforced]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { freePort, startNode, stopAll, waitForHttp } from './lib/proc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const argv = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = a.match(/^--([^=]+)(?:=(.*))?$/);
    if (!m) throw new Error(`unknown argument ${a}`);
    return [m[1], m[2] ?? 'true'];
  }),
);
const calls = Number(argv.calls ?? 2000);
const rounds = Number(argv.rounds ?? 3);
const base = argv.base ? path.resolve(argv.base) : undefined;
const names = (
  argv.targets ??
  (base ? 'bare,margin,base-margin,margin-enforced,base-enforced' : 'bare,margin,margin-enforced')
).split(',');

const content = 'You are a concise assistant for a software engineering team.'.padEnd(
  880,
  ' Answer precisely.',
);
const body = Buffer.from(
  JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content },
      { role: 'user', content: 'In two sentences, why should every pull request include unit tests?' },
    ],
    temperature: 0.2,
    max_tokens: 128,
  }),
);

const PLAN = {
  plans: {
    bench: {
      priceUsd: '99',
      budget: { unit: 'usd', amount: '1000000' },
      soft: { thresholdPercent: 80 },
      hardCap: { action: 'block', concurrency: 1 },
      features: {},
      rateLimits: { rpm: 100_000_000, tpm: 1_000_000_000 },
    },
  },
};

const tmp = mkdtempSync(path.join(tmpdir(), 'margin-cpu-'));
const standinPort = await freePort();
await startNode('standin', [path.join(root, 'dist/standin/main.js'), '--port', String(standinPort)], {
  ready: /listening on/,
});
const env = {
  MARGIN_UPSTREAM_OPENAI_URL: `http://127.0.0.1:${standinPort}/v1`,
  OPENAI_API_KEY: 'sk-standin',
};

async function startTarget(name) {
  const port = await freePort();
  if (name === 'bare') {
    const h = await startNode(
      name,
      [
        path.join(here, 'bare-proxy.js'),
        '--port',
        String(port),
        '--upstream',
        `http://127.0.0.1:${standinPort}`,
      ],
      { ready: /listening/ },
    );
    return {
      name,
      pid: h.pid,
      port,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-standin' },
    };
  }
  const dist = name.startsWith('base-') ? path.join(base, 'dist') : path.join(root, 'dist');
  const cli = path.join(dist, 'cli/main.js');
  const db = path.join(tmp, `${name}.db`);
  const run = (args) =>
    execFileSync(process.execPath, [cli, ...args, '--db', db], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  const key = run(['keys', 'create', '--customer', 'bench']).trim();
  if (name.endsWith('enforced')) {
    const plans = path.join(tmp, `${name}-plans.json`);
    writeFileSync(plans, JSON.stringify(PLAN));
    run(['plans', 'apply', plans]);
    run(['customers', 'set-plan', 'bench', 'bench']);
  }
  const prof = argv.prof
    ? ['--cpu-prof', `--cpu-prof-dir=${argv.prof}`, `--cpu-prof-name=${name}.cpuprofile`]
    : [];
  if (argv.perf) prof.push('--perf-basic-prof-only-functions');
  const h = await startNode(name, [...prof, cli, 'serve', '--port', String(port), '--db', db], {
    env,
    ready: /listening on/,
  });
  await waitForHttp(port, '/healthz');
  return {
    name,
    pid: h.pid,
    port,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  };
}

/** CPU ns per thread, keyed "tid name". */
function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(`${tid === String(pid) ? 'main' : comm}#${tid}`, ns);
    } catch {}
  }
  return out;
}

async function callOnce(client, headers) {
  const t0 = process.hrtime.bigint();
  const res = await client.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
  const text = await res.body.text();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.statusCode !== 200 || text[0] !== '{')
    throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
  return ms;
}

const targets = [];
for (const n of names) targets.push(await startTarget(n));
for (const t of targets) t.client = new Client(`http://127.0.0.1:${t.port}`, { keepAliveTimeout: 600_000 });
for (const t of targets) for (let i = 0; i < 300; i++) await callOnce(t.client, t.headers);

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const acc = new Map(targets.map((t) => [t.name, { ms: [], cpu: new Map(), n: 0, rounds: [] }]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[(i + r) % targets.length];
    for (let k = 0; k < 20; k++) await callOnce(t.client, t.headers);
    // --perf=<dir>: a CPU-time profile (perf, every thread) of the measured calls of each Margin target.
    const perf =
      argv.perf && t.name !== 'bare'
        ? spawn(
            'perf',
            [
              'record',
              '-e',
              'cpu-clock',
              '-F',
              '4999',
              '-g',
              '-p',
              String(t.pid),
              '-o',
              path.join(argv.perf, `${t.name}-${r}.data`),
            ],
            { stdio: 'ignore' },
          )
        : undefined;
    if (perf) await new Promise((res) => setTimeout(res, 300));
    const before = threads(t.pid);
    const a = acc.get(t.name);
    for (let k = 0; k < calls; k++) a.ms.push(await callOnce(t.client, t.headers));
    const after = threads(t.pid);
    if (perf) {
      perf.kill('SIGINT');
      await new Promise((res) => perf.on('exit', res));
    }
    a.n += calls;
    let roundNs = 0;
    for (const [k, v] of after) roundNs += v - (before.get(k) ?? 0);
    a.rounds.push({ cpu: roundNs / calls / 1000, p50: median(a.ms.slice(-calls)) });
    for (const [k, v] of after) {
      const group = argv['per-tid'] ? k : k.split('#')[0];
      a.cpu.set(group, (a.cpu.get(group) ?? 0) + v - (before.get(k) ?? 0));
    }
  }
}
for (const t of targets) {
  const a = acc.get(t.name);
  const per = [...a.cpu].filter(([, v]) => v > 0).map(([k, v]) => `${k} ${(v / a.n / 1000).toFixed(0)}`);
  const total = [...a.cpu.values()].reduce((x, y) => x + y, 0) / a.n / 1000;
  // On a busy machine the quietest round says most: its CPU per call and p50 are printed as "best".
  const best = Math.min(...a.rounds.map((x) => x.cpu));
  const bestP50 = Math.min(...a.rounds.map((x) => x.p50));
  console.log(
    `${t.name.padEnd(16)} p50 ${median(a.ms).toFixed(3)} ms (best round ${bestP50.toFixed(3)})  ` +
      `cpu ${total.toFixed(0)} µs/call (best round ${best.toFixed(0)})  [${per.join(', ')}]`,
  );
}
for (const t of targets) await t.client.close();
await stopAll();
rmSync(tmp, { recursive: true, force: true });
