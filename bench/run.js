#!/usr/bin/env node
// Margin benchmark orchestrator (`npm run bench` = build, then this file).
//
// One run, one load tool (autocannon), one local stand-in LLM upstream, these targets:
//   direct          – the stand-in itself
//   bare            – bench/bare-proxy.js, a node:http pipe-through proxy (the "proxy overhead" baseline)
//   margin          – `margin serve` with metering on (the bench customer has no plan: no enforcement)
//   margin-enforced – the same, with the bench customer on a plan with a USD budget (full admission work)
//   margin-wallet   – the same plan, plus a prepaid wallet the customer draws from
//   portkey         – @portkey-ai/gateway 1.15.2 (headless), pointed at the stand-in via x-portkey-custom-host
// Every target runs in its own child process; all of them are killed at the end, also on error.
//
// Phases (--phases, default all): `load` (each target in turn: closed-loop throughput, streaming TTFB,
// fixed rate), `interleaved` (enforced Margin variants vs metering only, throughput in interleaved rounds),
// `sequential` (one connection, one call at a time, every target in interleaved rounds, timed by
// bench/sequential-client.js in its own process).
// See bench/README.md for the meaning of every column.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureTtfb, post, runLoad, runStaggeredRate } from './lib/load.js';
import {
  freePort,
  killAllSync,
  listenAddresses,
  procStats,
  runNode,
  startNode,
  stop,
  stopAll,
  waitForHttp,
} from './lib/proc.js';
import { renderMarkdown } from './lib/report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// ---------------------------------------------------------------- targets, in the order they run
// The Margin variants run back to back so the enforced ones are compared with metering only under the
// same load, minutes apart.
const TARGETS = ['direct', 'bare', 'margin', 'margin-enforced', 'margin-wallet', 'portkey'];
/** How each Margin variant's fresh ledger is set up before `margin serve` starts (all through the CLI). */
const MARGIN_VARIANTS = {
  margin: { plan: false, wallet: false },
  'margin-enforced': { plan: true, wallet: false },
  'margin-wallet': { plan: true, wallet: true },
};
const BENCH_CUSTOMER = 'bench';
const BENCH_PLAN = 'bench';
/**
 * A USD budget so every call does the whole admission: input counted with the tokenizer, worst case
 * reserved and journaled to the ledger before going upstream, settled with the ledger row; customer RPM
 * and TPM buckets are taken too. Budget and rate limits are far above what a run can use (~170 worst-case
 * tokens a call, < 15k calls/s here), so nothing is refused, laned or throttled. tpm stays below the rate
 * limiter's largest bucket (~1.5e11 per minute): plans.yaml accepts larger values, but then every call of
 * the customer fails with 500 (RangeError: perMinute must be an integer 1..150119987579).
 */
const BENCH_PLAN_SPEC = {
  priceUsd: '99',
  budget: { unit: 'usd', amount: '1000000' },
  soft: { thresholdPercent: 80 },
  hardCap: { action: 'block', concurrency: 1 },
  features: {},
  rateLimits: { rpm: 100_000_000, tpm: 1_000_000_000 },
};
const BENCH_WALLET_USD = '1000000';
/**
 * Phases (--phases): `load` = per target in turn, throughput + streaming TTFB + fixed rate; `interleaved` =
 * enforcement vs metering-only throughput rounds; `sequential` = one connection, one call at a time, every
 * target in interleaved rounds.
 */
const PHASES = ['load', 'interleaved', 'sequential'];

// ---------------------------------------------------------------- options
const argv = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = a.match(/^--([^=]+)(?:=(.*))?$/);
    return m ? [m[1], m[2] ?? 'true'] : [a, 'true'];
  }),
);
const quick = argv.quick === 'true';
const num = (key, dflt, quickDflt) => Number(argv[key] ?? (quick ? quickDflt : dflt));
const opt = {
  connections: num('connections', 50, 50),
  durationSec: num('duration', 15, 3),
  warmupSec: num('warmup', 3, 1),
  rate: num('rate', 1000, 1000),
  rateDurationSec: num('rate-duration', 10, 3),
  alignedRate: argv['no-aligned-rate'] !== 'true',
  rateConnections: num('rate-connections', 10, 10),
  ttfbCount: num('ttfb-requests', 200, 40),
  ttfbWarmup: num('ttfb-warmup', 20, 5),
  ttfbMaxSec: num('ttfb-max-seconds', 30, 10),
  abRounds: num('ab-rounds', 5, 3),
  abDurationSec: num('ab-duration', 5, 2),
  watchdogSec: num('watchdog', 900, 480),
  only: (argv.only ?? TARGETS.join(',')).split(',').map((s) => s.trim()),
  phases: (argv.phases ?? PHASES.join(',')).split(',').map((s) => s.trim()),
  seqRounds: num('seq-rounds', 10, 4),
  seqCalls: num('seq-calls', 250, 100),
  seqWarmup: num('seq-warmup', 300, 100),
  seqSlotWarmup: num('seq-slot-warmup', 20, 10),
  seqBodyBytes: num('seq-body-bytes', 1100, 1100),
  seqStream: argv['no-seq-stream'] !== 'true',
  promptChars: num('prompt-chars', 0, 0),
  out: path.resolve(root, argv.out ?? 'bench/results'),
};
const unknownTargets = opt.only.filter((n) => !TARGETS.includes(n));
if (unknownTargets.length) {
  console.error(`bench: unknown target(s) ${unknownTargets.join(', ')}; known: ${TARGETS.join(', ')}`);
  process.exit(2);
}
const unknownPhases = opt.phases.filter((n) => !PHASES.includes(n));
if (unknownPhases.length) {
  console.error(`bench: unknown phase(s) ${unknownPhases.join(', ')}; known: ${PHASES.join(', ')}`);
  process.exit(2);
}
for (const [key, min] of [
  ['seqRounds', 1],
  ['seqCalls', 1],
  ['seqWarmup', 0],
  ['seqSlotWarmup', 0],
  ['seqBodyBytes', 0],
]) {
  if (!Number.isInteger(opt[key]) || opt[key] < min) {
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    console.error(`bench: --${flag} must be an integer ≥ ${min}, got ${opt[key]}`);
    process.exit(2);
  }
}
const standinScript = path.resolve(root, process.env.BENCH_STANDIN ?? 'dist/standin/main.js');
const marginCli = path.resolve(root, 'dist/cli/main.js');
const portkeyServer = path.resolve(root, 'node_modules/@portkey-ai/gateway/build/start-server.js');
const RATE_TARGETS = new Set(['direct', 'bare', ...Object.keys(MARGIN_VARIANTS)]);
const UPSTREAM_KEY = 'sk-standin';
const CHAT_PATH = '/v1/chat/completions';

const SYSTEM_PROMPT = 'You are a concise assistant for a software engineering team.';
const PADDING = ' Answer precisely, name the files and functions you refer to, and keep to the point.';
/** --prompt-chars=N pads the system message to N characters (a longer prompt: more for the tokenizer). */
function systemPrompt(chars) {
  let text = SYSTEM_PROMPT;
  while (text.length < chars) text += PADDING;
  return chars > SYSTEM_PROMPT.length ? text.slice(0, chars) : text;
}
const chatBody = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: systemPrompt(opt.promptChars) },
    { role: 'user', content: 'In two sentences, why should every pull request include unit tests?' },
  ],
  temperature: 0.2,
  max_tokens: 128,
};
const JSON_BODY = JSON.stringify(chatBody);
const STREAM_BODY = JSON.stringify({ ...chatBody, stream: true, stream_options: { include_usage: true } });
/**
 * The sequential phase's body: the same chat, its system message padded so the JSON is --seq-body-bytes
 * long (the issue measured with a 1.1 KB body); never shorter than the other phases' body.
 */
const seqChatBody = (() => {
  const chars = opt.seqBodyBytes - JSON_BODY.length + chatBody.messages[0].content.length;
  if (chars <= chatBody.messages[0].content.length) return chatBody;
  const [system, ...rest] = chatBody.messages;
  return { ...chatBody, messages: [{ ...system, content: systemPrompt(chars) }, ...rest] };
})();
const SEQ_JSON_BODY = JSON.stringify(seqChatBody);
const SEQ_STREAM_BODY = JSON.stringify({
  ...seqChatBody,
  stream: true,
  stream_options: { include_usage: true },
});

// ---------------------------------------------------------------- safety nets
let cleanedUp = false;
process.on('exit', () => {
  if (!cleanedUp) killAllSync();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping targets`);
    killAllSync();
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error(`bench: watchdog fired after ${opt.watchdogSec} s, killing targets`);
  killAllSync();
  process.exit(3);
}, opt.watchdogSec * 1000);
watchdog.unref();

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const log = (msg) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

// ---------------------------------------------------------------- helpers
function parseSse(text) {
  const events = [];
  for (const block of text.split(/\n\n/)) {
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) events.push(line.slice(5).trim());
    }
  }
  let content = '';
  let usage = null;
  for (const e of events) {
    if (e === '[DONE]') continue;
    try {
      const j = JSON.parse(e);
      for (const c of j.choices ?? []) content += c.delta?.content ?? '';
      if (j.usage) usage = j.usage;
    } catch {}
  }
  return { events: events.length, done: events.includes('[DONE]'), content, usage };
}

async function probe(port, headers) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    const json = await post(agent, port, CHAT_PATH, headers, JSON_BODY);
    const stream = await post(agent, port, CHAT_PATH, headers, STREAM_BODY);
    let parsed = null;
    try {
      parsed = JSON.parse(json.body);
    } catch {}
    return {
      json: {
        status: json.status,
        contentType: json.headers['content-type'],
        id: parsed?.id ?? null,
        model: parsed?.model ?? null,
        content: parsed?.choices?.[0]?.message?.content ?? null,
        usage: parsed?.usage ?? null,
        marginHeaders: Object.fromEntries(
          Object.entries(json.headers).filter(
            ([k]) => k.startsWith('x-margin-') && k !== 'x-margin-request-id',
          ),
        ),
        bodyHead: json.body.slice(0, 300),
      },
      stream: {
        status: stream.status,
        contentType: stream.headers['content-type'],
        ttfbMs: stream.ttfbMs,
        totalMs: stream.totalMs,
        ...parseSse(stream.body),
        bodyHead: stream.body.slice(0, 300),
      },
    };
  } finally {
    agent.destroy();
  }
}

function verify(name, got, ref) {
  const problems = [];
  if (got.json.status !== 200) problems.push(`JSON status ${got.json.status}: ${got.json.bodyHead}`);
  else if (ref && got.json.content !== ref.json.content)
    problems.push(`JSON content differs from the stand-in's: ${JSON.stringify(got.json.content)}`);
  if (got.stream.status !== 200) problems.push(`stream status ${got.stream.status}: ${got.stream.bodyHead}`);
  else {
    if (!String(got.stream.contentType).includes('text/event-stream'))
      problems.push(`stream content-type ${got.stream.contentType}`);
    if (got.stream.events < 2) problems.push(`only ${got.stream.events} SSE events`);
    if (!got.stream.done) problems.push('stream has no [DONE]');
    if (ref && got.stream.content !== ref.stream.content)
      problems.push(`streamed content differs from the stand-in's: ${JSON.stringify(got.stream.content)}`);
  }
  const variant = MARGIN_VARIANTS[name];
  if (variant && got.json.status === 200) {
    // Margin reports a customer's plan and wallet in headers only when limits apply to it.
    const h = got.json.marginHeaders;
    if (variant.plan && (h['x-margin-plan'] !== BENCH_PLAN || h['x-margin-budget-unit'] !== 'usd'))
      problems.push(`no plan headers on the answer (enforcement not active?): ${JSON.stringify(h)}`);
    if (!variant.plan && h['x-margin-plan'] !== undefined)
      problems.push(`plan headers on a metering-only answer: ${JSON.stringify(h)}`);
    if (variant.wallet && h['x-margin-wallet-balance-usd'] === undefined)
      problems.push(`no wallet balance header on the answer: ${JSON.stringify(h)}`);
  }
  if (problems.length) throw new Error(`${name} verification failed: ${problems.join('\n  ')}`);
}

function memSnapshot(pid) {
  try {
    return procStats(pid);
  } catch {
    return null;
  }
}

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function gitRev() {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- targets
async function startStandin() {
  if (!existsSync(standinScript)) {
    throw new Error(`stand-in not found at ${standinScript} (run \`npm run build\` first)`);
  }
  const port = await freePort();
  const h = await startNode('standin', [standinScript, '--port', String(port), '--host', '127.0.0.1'], {
    ready: /standin listening on http:\/\//,
  });
  h.port = port;
  return h;
}

async function startTarget(name, standin, tmp, dbName = name) {
  const upstreamHeaders = { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` };
  if (name === 'direct') {
    return { handle: standin, port: standin.port, headers: upstreamHeaders, owned: false };
  }
  const port = await freePort();
  if (name === 'bare') {
    const handle = await startNode(
      'bare-proxy',
      [
        path.join(here, 'bare-proxy.js'),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--upstream',
        `http://127.0.0.1:${standin.port}`,
      ],
      { ready: /bare-proxy listening on http:\/\// },
    );
    return { handle, port, headers: upstreamHeaders, owned: true };
  }
  if (MARGIN_VARIANTS[name]) return startMargin(name, MARGIN_VARIANTS[name], standin, tmp, port, dbName);
  if (name === 'portkey') {
    if (!existsSync(portkeyServer)) throw new Error(`@portkey-ai/gateway not installed (${portkeyServer})`);
    const handle = await startNode(
      'portkey',
      ['--import', path.join(here, 'lib/loopback-only.js'), portkeyServer, `--port=${port}`, '--headless'],
      { env: { BENCH_BIND_HOST: '127.0.0.1' }, ready: /Ready for connections/ },
    );
    await waitForHttp(port, '/');
    return {
      handle,
      port,
      headers: {
        ...upstreamHeaders,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${standin.port}/v1`,
      },
      owned: true,
    };
  }
  throw new Error(`unknown target ${name}`);
}

/** Runs a `margin` CLI command against a target's ledger; returns its stdout. */
function marginCliSync(args, env) {
  return execFileSync(process.execPath, [marginCli, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * `margin serve` on a fresh ledger with one customer key for BENCH_CUSTOMER. Enforced variants first put
 * that customer on BENCH_PLAN (`margin plans apply` + `margin customers set-plan`) and optionally top up its
 * prepaid wallet (`margin wallets top-up`), exactly as an operator would; the gateway reads them at start.
 */
async function startMargin(name, variant, standin, tmp, port, dbName) {
  if (!existsSync(marginCli)) throw new Error(`Margin CLI not found at ${marginCli} (build first)`);
  const db = path.join(tmp, `${dbName}.db`);
  const env = {
    MARGIN_UPSTREAM_OPENAI_URL: `http://127.0.0.1:${standin.port}/v1`,
    OPENAI_API_KEY: UPSTREAM_KEY,
  };
  const out = marginCliSync(['keys', 'create', '--customer', BENCH_CUSTOMER, '--db', db], env);
  const lines = out.split('\n').filter((l) => l.trim());
  if (lines.length !== 1) throw new Error(`margin keys create printed ${lines.length} lines: ${out}`);
  const vkey = lines[0].trim();
  const setup = [];
  if (variant.plan) {
    const plansFile = path.join(tmp, `${dbName}-plans.json`); // JSON is YAML: read by the plans.yaml reader
    writeFileSync(plansFile, JSON.stringify({ plans: { [BENCH_PLAN]: BENCH_PLAN_SPEC } }, null, 2));
    marginCliSync(['plans', 'apply', plansFile, '--db', db], env);
    marginCliSync(['customers', 'set-plan', BENCH_CUSTOMER, BENCH_PLAN, '--db', db], env);
    setup.push(`customer \`${BENCH_CUSTOMER}\` on plan \`${BENCH_PLAN}\` (USD budget)`);
  }
  if (variant.wallet) {
    marginCliSync(['wallets', 'top-up', BENCH_CUSTOMER, BENCH_WALLET_USD, '--db', db], env);
    setup.push(`wallet topped up with $${BENCH_WALLET_USD}`);
  }
  const handle = await startNode(
    name,
    [marginCli, 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', db],
    { env, ready: /listening on http:\/\//, cwd: root },
  );
  await waitForHttp(port, '/healthz');
  return {
    handle,
    port,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${vkey}` },
    owned: true,
    db,
    env,
    variant,
    setup,
  };
}

/** After an enforced Margin has stopped: what its limits engine says the bench customer used (and paid). */
function enforcementState(t) {
  try {
    const j = JSON.parse(marginCliSync(['customers', 'show', BENCH_CUSTOMER, '--db', t.db], t.env));
    return {
      plan: j.plan?.name ?? null,
      budgetUsed: j.budget?.used ?? null,
      budgetReserved: j.budget?.reserved ?? null,
      walletBalanceUsd: j.wallet?.balance_usd ?? null,
      walletReservedUsd: j.wallet?.reserved_usd ?? null,
      walletToppedUpUsd: t.variant.wallet ? BENCH_WALLET_USD : null,
    };
  } catch (err) {
    return { error: String(err.message ?? err).split('\n')[0] };
  }
}

async function portkeyNegativeCheck(t) {
  // Point Portkey at a closed loopback port: if it really proxies, this must fail.
  const closed = await freePort();
  const agent = new http.Agent({ keepAlive: false });
  try {
    const r = await post(
      agent,
      t.port,
      CHAT_PATH,
      { ...t.headers, 'x-portkey-custom-host': `http://127.0.0.1:${closed}/v1` },
      JSON_BODY,
    );
    return { status: r.status, bodyHead: r.body.slice(0, 200) };
  } finally {
    agent.destroy();
  }
}

/** After Margin has stopped: how many requests its ledger metered, vs how many 2xx it served. */
function meteredCount(t, served) {
  try {
    const j = JSON.parse(marginCliSync(['usage', '--json', '--db', t.db], t.env));
    const metered = j.total?.requests ?? (j.data ?? []).reduce((a, g) => a + Number(g.requests ?? 0), 0);
    return { served2xx: served, metered: Number(metered), total: j.total ?? null };
  } catch (err) {
    return { served2xx: served, error: String(err.message ?? err).split('\n')[0] };
  }
}

async function benchTarget(name, standin, tmp, ref) {
  const r = { name, ok: false, notes: [] };
  let t = null;
  let served = 0; // 2xx responses this target gave, all phases (to compare with Margin's ledger)
  try {
    log(`${name}: starting`);
    t = await startTarget(name, standin, tmp);
    r.pid = t.handle.pid;
    r.port = t.port;
    r.listen = listenAddresses(t.port);
    r.memIdle = memSnapshot(t.handle.pid);

    const got = await probe(t.port, t.headers);
    r.probe = got;
    verify(name, got, ref);
    served += 2;
    if (name === 'portkey') {
      r.negativeCheck = await portkeyNegativeCheck(t);
      if (r.negativeCheck.status >= 200 && r.negativeCheck.status < 300) {
        throw new Error('portkey answered 2xx with its custom host pointing at a closed port: not proxying');
      }
      r.notes.push(
        `verified: responses are the stand-in's (same content), and with x-portkey-custom-host pointing at a closed port Portkey answers ${r.negativeCheck.status}`,
      );
    }
    if (t.setup?.length) r.notes.push(`set up with \`margin\` CLI: ${t.setup.join(', ')}`);
    log(`${name}: verified (JSON + SSE match the stand-in); warming up ${opt.warmupSec} s`);
    const url = `http://127.0.0.1:${t.port}${CHAT_PATH}`;
    const load = { url, headers: t.headers, body: JSON_BODY };
    served += (await runLoad({ ...load, connections: opt.connections, durationSec: opt.warmupSec })).requests;

    log(`${name}: throughput ${opt.connections} connections × ${opt.durationSec} s`);
    const before = memSnapshot(t.handle.pid);
    const upBefore = name === 'direct' ? null : memSnapshot(standin.pid);
    r.throughput = await runLoad({ ...load, connections: opt.connections, durationSec: opt.durationSec });
    served += r.throughput.requests;
    const after = memSnapshot(t.handle.pid);
    const upAfter = name === 'direct' ? null : memSnapshot(standin.pid);
    if (before && after) {
      const cpuSec = (after.cpuTicks - before.cpuTicks) / CLK_TCK;
      r.throughput.targetCpuPct = (cpuSec / r.throughput.elapsedSec) * 100;
      r.throughput.targetCpuUsPerReq = r.throughput.requests ? (cpuSec * 1e6) / r.throughput.requests : null;
    }
    if (upBefore && upAfter) {
      const cpuSec = (upAfter.cpuTicks - upBefore.cpuTicks) / CLK_TCK;
      r.throughput.upstreamCpuPct = (cpuSec / r.throughput.elapsedSec) * 100;
    }

    log(`${name}: streaming TTFB, ${opt.ttfbCount} sequential requests`);
    r.ttfb = await measureTtfb({
      port: t.port,
      path: CHAT_PATH,
      headers: t.headers,
      body: STREAM_BODY,
      count: opt.ttfbCount,
      warmup: opt.ttfbWarmup,
      maxSec: opt.ttfbMaxSec,
    });
    served += r.ttfb.served;
    if (r.ttfb.ttfb.n < opt.ttfbCount) {
      r.notes.push(
        `TTFB: only ${r.ttfb.ttfb.n}/${opt.ttfbCount} samples (time cap or ${r.ttfb.failures} failures)`,
      );
    }

    if (RATE_TARGETS.has(name)) {
      const rateLoad = { ...load, rate: opt.rate, instances: opt.rateConnections };
      log(
        `${name}: fixed rate ${opt.rate} req/s × ${opt.rateDurationSec} s, ${opt.rateConnections} staggered connections`,
      );
      served += (await runStaggeredRate({ ...rateLoad, durationSec: Math.min(2, opt.warmupSec) })).requests;
      r.fixedRate = await runStaggeredRate({ ...rateLoad, durationSec: opt.rateDurationSec });
      served += r.fixedRate.requests;
      if (opt.alignedRate) {
        log(
          `${name}: fixed rate ${opt.rate} req/s × ${opt.rateDurationSec} s, ${opt.rateConnections} aligned connections`,
        );
        r.fixedRateAligned = await runLoad({
          ...load,
          connections: opt.rateConnections,
          overallRate: opt.rate,
          durationSec: opt.rateDurationSec,
        });
        served += r.fixedRateAligned.requests;
      }
    }
    r.memAfter = memSnapshot(t.handle.pid);
    r.ok = true;
  } catch (err) {
    r.error = err.message;
    log(`${name}: FAILED: ${err.message}`);
    // What the target itself logged (e.g. the gateway's `internal error` line with the exception).
    if (t?.owned && t.handle.log.length) {
      r.targetLog = t.handle.log.slice(-20);
      log(`${name}: last output of the target:\n  ${r.targetLog.join('\n  ')}`);
    }
  } finally {
    if (t?.owned) await stop(t.handle);
  }
  r.served2xx = served;
  if (t?.db && r.ok) r.metering = meteredCount(t, served);
  if (t?.variant?.plan && r.ok) r.enforcement = enforcementState(t);
  return r;
}

/**
 * Enforced vs. metering only, interleaved: fresh instances of the Margin variants run side by side (idle
 * while not measured), and each round measures every variant's closed-loop throughput for --ab-duration s,
 * one after the other, starting with a different variant each round. The ratio is taken within a round, so
 * load from anything else on the machine that drifts over minutes hits both sides of it alike.
 */
async function benchInterleaved(names, standin, tmp, ref) {
  const out = {
    names,
    rounds: opt.abRounds,
    durationSec: opt.abDurationSec,
    connections: opt.connections,
    samples: [],
    ok: false,
  };
  const started = [];
  try {
    for (const name of names) {
      log(`interleaved: starting ${name}`);
      const port = await freePort();
      const t = await startMargin(name, MARGIN_VARIANTS[name], standin, tmp, port, `${name}-interleaved`);
      started.push({ name, t });
      verify(name, await probe(t.port, t.headers), ref);
    }
    const loads = started.map(({ name, t }) => ({
      name,
      t,
      load: {
        url: `http://127.0.0.1:${t.port}${CHAT_PATH}`,
        headers: t.headers,
        body: JSON_BODY,
        connections: opt.connections,
      },
    }));
    log(`interleaved: warming up each for ${opt.warmupSec} s`);
    for (const { load } of loads) await runLoad({ ...load, durationSec: opt.warmupSec });
    for (let round = 0; round < opt.abRounds; round++) {
      const order = loads.map((_, i) => loads[(i + round) % loads.length]);
      log(
        `interleaved: round ${round + 1}/${opt.abRounds}, ${order.map((x) => x.name).join(' → ')}, ${opt.abDurationSec} s each`,
      );
      for (const { name, t, load } of order) {
        const before = memSnapshot(t.handle.pid);
        const r = await runLoad({ ...load, durationSec: opt.abDurationSec });
        const after = memSnapshot(t.handle.pid);
        const cpuSec = before && after ? (after.cpuTicks - before.cpuTicks) / CLK_TCK : null;
        out.samples.push({
          round,
          name,
          rps: r.rps,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
          targetCpuUsPerReq: cpuSec !== null && r.requests ? (cpuSec * 1e6) / r.requests : null,
          loadavg1: os.loadavg()[0],
        });
      }
    }
    out.ok = true;
  } catch (err) {
    out.error = err.message;
    log(`interleaved: FAILED: ${err.message}`);
    const last = started.at(-1)?.t.handle.log;
    if (last?.length) out.targetLog = last.slice(-20);
  } finally {
    await Promise.all(started.map(({ t }) => stop(t.handle)));
  }
  return out;
}

/**
 * Sequential phase: fresh instances of every selected target run side by side, and a separate client
 * process (bench/sequential-client.js) makes one call at a time over one connection per target, in
 * interleaved rounds, with the --seq-body-bytes body (JSON, and streamed except through Portkey, which
 * holds back every stream's first chunk for 25 ms). Afterwards the Margin ledgers are checked as in the
 * load phase.
 */
async function benchSequential(names, standin, tmp, ref) {
  const kindsOf = (name) => (opt.seqStream && name !== 'portkey' ? ['json', 'stream'] : ['json']);
  const out = {
    names,
    rounds: opt.seqRounds,
    calls: opt.seqCalls,
    warmup: opt.seqWarmup,
    slotWarmup: opt.seqSlotWarmup,
    jsonBytes: Buffer.byteLength(SEQ_JSON_BODY),
    streamBytes: opt.seqStream ? Buffer.byteLength(SEQ_STREAM_BODY) : null,
    ok: false,
    targets: {},
  };
  const started = [];
  try {
    for (const name of names) {
      log(`sequential: starting ${name}`);
      const t = await startTarget(name, standin, tmp, `${name}-sequential`);
      started.push({ name, t });
      verify(name, await probe(t.port, t.headers), ref);
    }
    const config = {
      path: CHAT_PATH,
      warmup: opt.seqWarmup,
      slotWarmup: opt.seqSlotWarmup,
      rounds: opt.seqRounds,
      calls: opt.seqCalls,
      timeoutMs: 10_000,
      bodies: { json: SEQ_JSON_BODY, stream: SEQ_STREAM_BODY },
      targets: started.map(({ name, t }) => ({
        name,
        port: t.port,
        headers: t.headers,
        pid: t.handle.pid,
        kinds: kindsOf(name),
      })),
    };
    const configPath = path.join(tmp, 'sequential-client.json');
    writeFileSync(configPath, JSON.stringify(config));
    log(
      `sequential: ${opt.seqRounds} rounds × ${opt.seqCalls} calls per target and kind (${out.jsonBytes}-byte body), ` +
        `after ${opt.seqWarmup} warm-up calls each`,
    );
    const got = JSON.parse(
      await runNode('sequential-client', [path.join(here, 'sequential-client.js'), configPath], {
        cwd: root,
        timeoutMs: opt.watchdogSec * 1000,
      }),
    );
    out.slots = got.slots;
    out.targets = got.targets;
    // Failed calls are kept out of the samples and reported (and fail the run), the tables are kept.
    out.failedCalls = Object.values(got.targets).reduce((a, x) => a + x.failures, 0);
    if (out.failedCalls) log(`sequential: ${out.failedCalls} calls failed (see the notes)`);
    out.ok = true;
  } catch (err) {
    out.error = err.message;
    log(`sequential: FAILED: ${err.message}`);
  } finally {
    await Promise.all(started.filter(({ t }) => t.owned).map(({ t }) => stop(t.handle)));
  }
  // Margin's ledgers, read after it stopped: every 2xx of the phase (the two probes + the client's) metered.
  for (const { name, t } of started) {
    if (!t.db || !out.ok) continue;
    const x = out.targets[name];
    x.metering = meteredCount(t, x.served + 2);
    if (t.variant.plan) x.enforcement = enforcementState(t);
  }
  return out;
}

// ---------------------------------------------------------------- main
async function main() {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'margin-bench-'));
  const results = { targets: {} };
  let standin = null;
  try {
    results.machine = {
      nproc: os.availableParallelism?.() ?? os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      kernel: `${os.type()} ${os.release()}`,
      node: process.version,
      autocannon: versionOf('autocannon'),
      portkey: versionOf('@portkey-ai/gateway'),
      hono: versionOf('hono'),
      honoNodeServer: versionOf('@hono/node-server'),
      margin: gitRev(),
      date: new Date().toISOString(),
      loadavgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    };
    results.options = { ...opt, standin: path.relative(root, standinScript), chatBody, seqChatBody };
    log(`machine: nproc=${results.machine.nproc}, node ${process.version}`);

    standin = await startStandin();
    log(`stand-in on 127.0.0.1:${standin.port} (pid ${standin.pid})`);
    const ref = await probe(standin.port, {
      'content-type': 'application/json',
      authorization: `Bearer ${UPSTREAM_KEY}`,
    });
    verify('stand-in', ref, null);
    results.reference = ref;

    const selected = TARGETS.filter((n) => opt.only.includes(n));
    if (opt.phases.includes('load')) {
      for (const name of selected) results.targets[name] = await benchTarget(name, standin, tmp, ref);
    }
    const abNames = Object.keys(MARGIN_VARIANTS).filter((n) => opt.only.includes(n));
    if (
      opt.phases.includes('interleaved') &&
      opt.abRounds > 0 &&
      abNames.includes('margin') &&
      abNames.length > 1
    ) {
      results.interleaved = await benchInterleaved(abNames, standin, tmp, ref);
    }
    if (opt.phases.includes('sequential') && selected.length) {
      results.sequential = await benchSequential(selected, standin, tmp, ref);
    }
    results.upstreamMemAfterAll = memSnapshot(standin.pid);
  } finally {
    await stopAll();
    cleanedUp = true;
    rmSync(tmp, { recursive: true, force: true });
  }
  results.wallSec = (Date.now() - started) / 1000;
  results.machine.loadavgAtEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);

  const md = renderMarkdown(results);
  mkdirSync(opt.out, { recursive: true });
  writeFileSync(path.join(opt.out, 'latest.md'), md);
  writeFileSync(path.join(opt.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(md);
  log(
    `wrote ${path.relative(root, path.join(opt.out, 'latest.md'))} and latest.json in ${results.wallSec} s`,
  );
  const failed = Object.values(results.targets).filter((t) => !t.ok);
  if (results.interleaved && !results.interleaved.ok) failed.push(results.interleaved);
  if (results.sequential && (!results.sequential.ok || results.sequential.failedCalls))
    failed.push(results.sequential);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exitCode = code;
  },
  (err) => {
    console.error(`bench: ${err.stack ?? err}`);
    killAllSync();
    process.exitCode = 1;
  },
);
