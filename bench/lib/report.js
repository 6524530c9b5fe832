// Markdown rendering of a benchmark run (bench/results/latest.md). Column meanings: bench/README.md.
import { renderSequential, sequentialGoalRows, sequentialSummary } from './report-sequential.js';
import { median, range } from './stats.js';

const LABELS = {
  direct: 'direct (stand-in)',
  bare: 'bare Node proxy',
  margin: 'Margin (metering on)',
  'margin-enforced': 'Margin (plan + USD budget enforced)',
  'margin-wallet': 'Margin (plan + prepaid wallet)',
  portkey: 'Portkey gateway 1.15.2',
};

/** Margin variants with enforcement on, each compared with `margin` (metering only) from the same run. */
const ENFORCED = ['margin-enforced', 'margin-wallet'];

/** Issue targets for Margin. */
export const GOALS = {
  vsPortkey: 5, // Margin req/s >= 5x Portkey req/s
  vsBare: 0.7, // Margin req/s >= 70% of the bare proxy, metering on
  addedP99At1k: 1, // ms added to p99 at 1,000 req/s (vs direct)
  addedTtfb: 0.5, // ms added to a stream's first byte (median, vs direct)
  enforcedVsMetering: 0.9, // enforced req/s >= 90% of metering-only req/s (≤ 10% fewer)
  seqOverBare: 0.3, // ms Margin adds to a sequential JSON call's median over the bare proxy (same round)
};

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export function ms(v) {
  if (!isNum(v)) return '–';
  const a = Math.abs(v);
  return a < 10 ? v.toFixed(3) : a < 100 ? v.toFixed(2) : v.toFixed(1);
}
const signedMs = (v) => (isNum(v) ? `${v >= 0 ? '+' : ''}${ms(v)}` : '–');
const int = (v) => (isNum(v) ? Math.round(v).toLocaleString('en-US') : '–');
const mib = (bytes) => (isNum(bytes) ? (bytes / 2 ** 20).toFixed(1) : '–');
const pct = (v) => (isNum(v) ? `${v.toFixed(0)}%` : '–');
const diff = (a, b) => (isNum(a) && isNum(b) ? a - b : null);
const ratio = (a, b) => (isNum(a) && isNum(b) && b > 0 ? a / b : null);

function table(header, rows) {
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  ];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** Derived comparisons, also stored in the JSON. */
export function derive(results) {
  const t = results.targets;
  const d = t.direct;
  const get = (name, f) => (t[name]?.ok ? f(t[name]) : null);
  const rps = (name) => get(name, (x) => x.throughput.rps);
  const rateP99 = (name) => get(name, (x) => x.fixedRate?.latency.p99);
  const alignedP99 = (name) => get(name, (x) => x.fixedRateAligned?.latency.p99);
  const rateP50 = (name) => get(name, (x) => x.fixedRate?.latency.p50);
  const ttfb = (name, p) => get(name, (x) => x.ttfb.ttfb[p]);
  const dOk = d?.ok;
  return {
    marginVsPortkeyRps: ratio(rps('margin'), rps('portkey')),
    marginVsBareRps: ratio(rps('margin'), rps('bare')),
    bareVsDirectRps: ratio(rps('bare'), rps('direct')),
    marginAddedP99At1k: dOk ? diff(rateP99('margin'), rateP99('direct')) : null,
    marginAddedP50At1k: dOk ? diff(rateP50('margin'), rateP50('direct')) : null,
    bareAddedP99At1k: dOk ? diff(rateP99('bare'), rateP99('direct')) : null,
    marginAddedP99At1kAligned: dOk ? diff(alignedP99('margin'), alignedP99('direct')) : null,
    bareAddedP99At1kAligned: dOk ? diff(alignedP99('bare'), alignedP99('direct')) : null,
    marginAddedTtfbP50: dOk ? diff(ttfb('margin', 'p50'), ttfb('direct', 'p50')) : null,
    marginAddedTtfbP99: dOk ? diff(ttfb('margin', 'p99'), ttfb('direct', 'p99')) : null,
    portkeyAddedTtfbP50: dOk ? diff(ttfb('portkey', 'p50'), ttfb('direct', 'p50')) : null,
    portkeyAddedTtfbP99: dOk ? diff(ttfb('portkey', 'p99'), ttfb('direct', 'p99')) : null,
    bareAddedTtfbP50: dOk ? diff(ttfb('bare', 'p50'), ttfb('direct', 'p50')) : null,
    marginOverBareTtfbP50: diff(ttfb('margin', 'p50'), ttfb('bare', 'p50')),
    marginOverBareP99At1k: diff(rateP99('margin'), rateP99('bare')),
    /** Per enforced variant, its cost over `margin` (metering only), sequential phases. */
    vsMeteringOnly: Object.fromEntries(ENFORCED.map((n) => [n, enforcementDelta(t, n)])),
    /** The same from the interleaved rounds: per-round req/s ratios, their median and range. */
    interleaved: interleavedSummary(results.interleaved),
    /** The sequential (one connection) phase: pooled p50/p99, added vs direct and vs bare per round. */
    sequential: sequentialSummary(results.sequential),
  };
}

/** Interleaved rounds: per variant, median req/s etc.; per enforced variant, the within-round ratios. */
function interleavedSummary(il) {
  if (!il?.ok) return null;
  const of = (name) => il.samples.filter((x) => x.name === name);
  const variants = {};
  for (const name of il.names) {
    const xs = of(name);
    variants[name] = {
      rps: median(xs.map((x) => x.rps)),
      rpsRange: range(xs.map((x) => x.rps)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      cpuUsPerReq: median(xs.map((x) => x.targetCpuUsPerReq)),
      non2xx: xs.reduce((a, x) => a + x.non2xx, 0),
      errors: xs.reduce((a, x) => a + x.errors, 0),
    };
  }
  const base = new Map(of('margin').map((x) => [x.round, x]));
  for (const name of il.names) {
    if (name === 'margin') continue;
    const ratios = of(name).map((x) => ratio(x.rps, base.get(x.round)?.rps));
    const cpu = of(name).map((x) => diff(x.targetCpuUsPerReq, base.get(x.round)?.targetCpuUsPerReq));
    Object.assign(variants[name], {
      rpsRatios: ratios,
      rpsRatio: median(ratios),
      rpsRatioRange: range(ratios),
      addedCpuUsPerReq: median(cpu),
    });
  }
  return variants;
}

/** One enforced variant against `margin` (metering only), both from this run; null if either is missing. */
function enforcementDelta(t, name) {
  const e = t[name];
  const m = t.margin;
  if (!e?.ok || !m?.ok) return null;
  const cpu = (x) => x.throughput.targetCpuUsPerReq;
  return {
    rpsRatio: ratio(e.throughput.rps, m.throughput.rps),
    addedP50: diff(e.throughput.latency.p50, m.throughput.latency.p50),
    addedP99: diff(e.throughput.latency.p99, m.throughput.latency.p99),
    addedCpuUsPerReq: diff(cpu(e), cpu(m)),
    addedP50At1k: diff(e.fixedRate?.latency.p50, m.fixedRate?.latency.p50),
    addedP99At1k: diff(e.fixedRate?.latency.p99, m.fixedRate?.latency.p99),
    addedTtfbP50: diff(e.ttfb.ttfb.p50, m.ttfb.ttfb.p50),
    addedTtfbP99: diff(e.ttfb.ttfb.p99, m.ttfb.ttfb.p99),
  };
}

export function renderMarkdown(results) {
  const { machine: m, options: o } = results;
  const t = results.targets;
  const names = Object.keys(t);
  const d = t.direct?.ok ? t.direct : null;
  const derived = derive(results);
  results.derived = derived;
  const out = [];

  out.push('# Margin gateway benchmark', '');
  out.push(
    `Run ${m.date} · Margin \`${m.margin ?? 'unknown rev'}\` · ${Math.round(results.wallSec ?? 0)} s wall clock`,
    '',
    `**Machine:** nproc=${m.nproc} (${m.cpuModel}), ${m.memTotalGiB} GiB RAM, ${m.kernel}, Node ${m.node}. ` +
      `Load generator (autocannon ${m.autocannon}, in the orchestrator process${results.sequential ? '; the sequential phase has its own client process' : ''}), stand-in upstream and the target ` +
      `each run in their own process and share these ${m.nproc} cores; everything is on 127.0.0.1. ` +
      `Load average (1/5/15 min) at start ${m.loadavgAtStart?.join(' / ')}, at end ${m.loadavgAtEnd?.join(' / ')} ` +
      '(anything else running on the machine shows up here and as noise in the tails).',
    '',
    `**Workload:** \`POST /v1/chat/completions\`, \`model: gpt-4o-mini\`, ${JSON.stringify(o.chatBody).length}-byte ` +
      `JSON body, stand-in \`${o.standin}\`. Portkey ${m.portkey} (hono ${m.hono}, @hono/node-server ` +
      `${m.honoNodeServer}) with \`x-portkey-provider: openai\` and \`x-portkey-custom-host: http://127.0.0.1:<stand-in>/v1\`. ` +
      `Each target: verified against the stand-in's own answers, warmed up, then measured.`,
    '',
  );

  // Throughput (absent when the per-target load phases were not selected)
  if (names.length) {
    out.push(
      `## Throughput (closed loop: ${o.connections} connections × ${o.durationSec} s, after ${o.warmupSec} s warm-up)`,
      '',
    );
    out.push(
      table(
        [
          'Target',
          'req/s',
          'p50 ms',
          'p99 ms',
          'added p50 ms',
          'added p99 ms',
          'target CPU',
          'CPU µs/req',
          'non-2xx / errors',
        ],
        names.map((n) => {
          const x = t[n];
          if (!x.ok) return [LABELS[n], `failed: ${oneLine(x.error)}`, '', '', '', '', '', '', ''];
          const l = x.throughput.latency;
          const isDirect = n === 'direct';
          return [
            LABELS[n],
            int(x.throughput.rps),
            ms(l.p50),
            ms(l.p99),
            isDirect ? '—' : signedMs(diff(l.p50, d?.throughput.latency.p50)),
            isDirect ? '—' : signedMs(diff(l.p99, d?.throughput.latency.p99)),
            pct(x.throughput.targetCpuPct),
            int(x.throughput.targetCpuUsPerReq),
            `${x.throughput.non2xx} / ${x.throughput.errors + x.throughput.timeouts}`,
          ];
        }),
      ),
      '',
    );
  }

  // Fixed rate
  const rateTable = (key, title) => {
    const rateNames = names.filter((n) => t[n].ok && t[n][key]);
    if (!rateNames.length) return;
    out.push(title, '');
    out.push(
      table(
        [
          'Target',
          'achieved req/s',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'added p50 ms',
          'added p99 ms',
          'non-2xx / errors',
        ],
        rateNames.map((n) => {
          const f = t[n][key];
          const base = d?.[key]?.latency;
          const isDirect = n === 'direct';
          return [
            LABELS[n],
            int(f.rps),
            ms(f.latency.p50),
            ms(f.latency.p90),
            ms(f.latency.p99),
            isDirect ? '—' : signedMs(diff(f.latency.p50, base?.p50)),
            isDirect ? '—' : signedMs(diff(f.latency.p99, base?.p99)),
            `${f.non2xx} / ${f.errors + f.timeouts}`,
          ];
        }),
      ),
      '',
    );
  };
  rateTable(
    'fixedRate',
    `## Fixed rate ${int(o.rate)} req/s — ${o.rateConnections} staggered connections × ${o.rateDurationSec} s ` +
      `(${o.rateConnections} autocannon instances, 1 connection each, \`overallRate\` ${int(o.rate / o.rateConnections)}, started ${Math.round(1000 / o.rateConnections)} ms apart)`,
  );
  rateTable(
    'fixedRateAligned',
    `## Fixed rate ${int(o.rate)} req/s — ${o.rateConnections} aligned connections × ${o.rateDurationSec} s ` +
      `(one autocannon instance, \`connections: ${o.rateConnections}, overallRate: ${o.rate}\`; harsher, see notes)`,
  );

  // TTFB
  if (names.length) {
    out.push(
      `## Streaming time to first byte (\`stream: true\`, ${o.ttfbCount} sequential requests after ${o.ttfbWarmup} warm-up)`,
      '',
    );
    out.push(
      table(
        [
          'Target',
          'TTFB p50 ms',
          'TTFB p99 ms',
          'added p50 ms',
          'added p99 ms',
          'whole stream p50 ms',
          'samples',
        ],
        names
          .filter((n) => t[n].ok)
          .map((n) => {
            const x = t[n].ttfb;
            const isDirect = n === 'direct';
            return [
              LABELS[n],
              ms(x.ttfb.p50),
              ms(x.ttfb.p99),
              isDirect ? '—' : signedMs(diff(x.ttfb.p50, d?.ttfb.ttfb.p50)),
              isDirect ? '—' : signedMs(diff(x.ttfb.p99, d?.ttfb.ttfb.p99)),
              ms(x.streamTotal.p50),
              String(x.ttfb.n),
            ];
          }),
      ),
      '',
    );
  }

  // Enforcement vs metering only
  const enforcedNames = ENFORCED.filter((n) => t[n]?.ok);
  if (t.margin?.ok && enforcedNames.length) {
    out.push(
      '## Enforcement cost, sequential phases: plans and budgets vs. metering only',
      '',
      'Each enforced variant against `Margin (metering on)`, from the phases above (same load, run one after ' +
        `the other, about a minute apart). Aim: req/s ratio ≥ ${GOALS.enforcedVsMetering * 100}% ` +
        `(≤ ${Math.round((1 - GOALS.enforcedVsMetering) * 100)}% fewer req/s); the interleaved rounds below ` +
        'measure that ratio with less exposure to drifting background load.',
      '',
    );
    out.push(
      table(
        [
          'Target',
          'req/s',
          'req/s ÷ metering only',
          'p50 / p99 ms',
          'added p50 / p99 ms',
          'CPU µs/req (added)',
          `p99 ms at ${int(o.rate)} req/s (added)`,
          'TTFB p50 ms (added)',
        ],
        ['margin', ...enforcedNames].map((n) => {
          const x = t[n];
          const l = x.throughput.latency;
          const dd = n === 'margin' ? null : derived.vsMeteringOnly[n];
          const plus = (v) => (dd ? ` (${signedMs(v)})` : '');
          return [
            LABELS[n],
            int(x.throughput.rps),
            dd ? pctRatio(dd.rpsRatio) : '—',
            `${ms(l.p50)} / ${ms(l.p99)}`,
            dd ? `${signedMs(dd.addedP50)} / ${signedMs(dd.addedP99)}` : '—',
            `${int(x.throughput.targetCpuUsPerReq)}${dd ? ` (${signedInt(dd.addedCpuUsPerReq)})` : ''}`,
            `${ms(x.fixedRate?.latency.p99)}${plus(dd?.addedP99At1k)}`,
            `${ms(x.ttfb.ttfb.p50)}${plus(dd?.addedTtfbP50)}`,
          ];
        }),
      ),
      '',
    );
  }

  // Interleaved rounds
  const il = results.interleaved;
  if (il) {
    out.push(
      `## Enforcement cost, interleaved: ${il.rounds} rounds × ${il.durationSec} s per variant (closed loop, ${il.connections} connections)`,
      '',
      'Fresh instances of the Margin variants run side by side; each round measures them one after the other ' +
        '(a different one first each round), and the req/s ratio is taken within a round, so load that drifts ' +
        'over minutes hits both sides of it alike. Median over the rounds, range in brackets.',
      '',
    );
    if (!il.ok) out.push(`**failed:** ${oneLine(il.error)}`, '');
    else {
      const v = derived.interleaved;
      out.push(
        table(
          [
            'Target',
            'req/s (range)',
            'req/s ÷ metering only, same round (range)',
            'per-round ratios',
            'p50 / p99 ms',
            'CPU µs/req (added)',
            'non-2xx / errors',
          ],
          il.names.map((n) => {
            const x = v[n];
            const enforced = n !== 'margin';
            return [
              LABELS[n],
              `${int(x.rps)} (${int(x.rpsRange.min)}–${int(x.rpsRange.max)})`,
              enforced
                ? `${pctRatio(x.rpsRatio)} (${pctRatio(x.rpsRatioRange.min)}–${pctRatio(x.rpsRatioRange.max)})`
                : '—',
              enforced ? x.rpsRatios.map((r) => pctRatio(r)).join(', ') : '—',
              `${ms(x.p50)} / ${ms(x.p99)}`,
              `${int(x.cpuUsPerReq)}${enforced ? ` (${signedInt(x.addedCpuUsPerReq)})` : ''}`,
              `${x.non2xx} / ${x.errors}`,
            ];
          }),
        ),
        '',
      );
    }
  }

  if (results.sequential) {
    const fmt = { labels: LABELS, ms, signedMs, int, table, oneLine };
    out.push(...renderSequential(results.sequential, derived.sequential, fmt));
  }

  // Memory
  if (names.length) {
    out.push('## Memory of the target process (/proc/<pid>/status)', '');
    out.push(
      table(
        ['Target', 'pid', 'listens on', 'RSS idle MiB', 'peak RSS (VmHWM) MiB', 'RSS after run MiB'],
        names
          .filter((n) => t[n].ok)
          .map((n) => {
            const x = t[n];
            return [
              LABELS[n],
              String(x.pid),
              (x.listen ?? []).join(', ') || '?',
              mib(x.memIdle?.rss),
              mib(x.memAfter?.hwm),
              mib(x.memAfter?.rss),
            ];
          }),
      ),
      '',
    );
  }

  // Goals
  const goal = (v, ok) => (v === null ? '–' : ok ? 'yes' : '**no**');
  out.push('## Margin vs. the issue targets (baselines from this same run)', '');
  out.push(
    table(
      ['Metric', 'Measured', 'Target', 'Met'],
      [
        ...(!names.length
          ? []
          : [
              [
                'Margin req/s ÷ Portkey req/s',
                isNum(derived.marginVsPortkeyRps) ? `${derived.marginVsPortkeyRps.toFixed(2)}×` : '–',
                `≥ ${GOALS.vsPortkey}×`,
                goal(derived.marginVsPortkeyRps, derived.marginVsPortkeyRps >= GOALS.vsPortkey),
              ],
              [
                'Margin req/s ÷ bare proxy req/s (metering on)',
                isNum(derived.marginVsBareRps) ? `${(derived.marginVsBareRps * 100).toFixed(0)}%` : '–',
                `≥ ${GOALS.vsBare * 100}%`,
                goal(derived.marginVsBareRps, derived.marginVsBareRps >= GOALS.vsBare),
              ],
              [
                `Margin added p99 at ${int(o.rate)} req/s, staggered connections (vs direct)`,
                `${signedMs(derived.marginAddedP99At1k)} ms`,
                `≤ ${GOALS.addedP99At1k} ms`,
                goal(derived.marginAddedP99At1k, derived.marginAddedP99At1k <= GOALS.addedP99At1k),
              ],
              [
                `Margin added p99 at ${int(o.rate)} req/s, aligned connections (vs direct)`,
                `${signedMs(derived.marginAddedP99At1kAligned)} ms`,
                '—',
                '',
              ],
              [
                'Margin added streaming TTFB, median (vs direct)',
                `${signedMs(derived.marginAddedTtfbP50)} ms`,
                `≤ ${GOALS.addedTtfb} ms`,
                goal(derived.marginAddedTtfbP50, derived.marginAddedTtfbP50 <= GOALS.addedTtfb),
              ],
              [
                'Margin added streaming TTFB, p99 (vs direct)',
                `${signedMs(derived.marginAddedTtfbP99)} ms`,
                '—',
                '',
              ],
              [
                'Portkey added streaming TTFB, median / p99 (vs direct)',
                `${signedMs(derived.portkeyAddedTtfbP50)} / ${signedMs(derived.portkeyAddedTtfbP99)} ms`,
                '—',
                '',
              ],
              [
                `Bare proxy added p99 at ${int(o.rate)} req/s, staggered / aligned (floor for any Node proxy)`,
                `${signedMs(derived.bareAddedP99At1k)} / ${signedMs(derived.bareAddedP99At1kAligned)} ms`,
                '—',
                '',
              ],
              [
                'Bare proxy added streaming TTFB, median (vs direct)',
                `${signedMs(derived.bareAddedTtfbP50)} ms`,
                '—',
                '',
              ],
              [
                `Margin minus bare proxy: p99 at ${int(o.rate)} req/s staggered / TTFB median`,
                `${signedMs(derived.marginOverBareP99At1k)} / ${signedMs(derived.marginOverBareTtfbP50)} ms`,
                '—',
                '',
              ],
            ]),
        ...ENFORCED.filter((n) => t[n] || derived.interleaved?.[n]).flatMap((n) => {
          const dd = derived.vsMeteringOnly[n];
          const iv = derived.interleaved?.[n];
          const aim = `≥ ${GOALS.enforcedVsMetering * 100}%`;
          const rows = [];
          if (iv)
            rows.push([
              `${LABELS[n]} req/s ÷ metering-only req/s, interleaved rounds (median; range)`,
              `${pctRatio(iv.rpsRatio)} (${pctRatio(iv.rpsRatioRange.min)}–${pctRatio(iv.rpsRatioRange.max)})`,
              aim,
              goal(iv.rpsRatio, iv.rpsRatio >= GOALS.enforcedVsMetering),
            ]);
          if (t[n])
            rows.push([
              `${LABELS[n]} req/s ÷ metering-only req/s, sequential throughput phases`,
              pctRatio(dd?.rpsRatio),
              iv ? '—' : aim,
              iv ? '' : goal(dd?.rpsRatio ?? null, dd?.rpsRatio >= GOALS.enforcedVsMetering),
            ]);
          return rows;
        }),
        ...(!names.length
          ? []
          : [
              [
                'Bare proxy req/s ÷ direct req/s',
                isNum(derived.bareVsDirectRps) ? `${(derived.bareVsDirectRps * 100).toFixed(0)}%` : '–',
                '—',
                '',
              ],
            ]),
        ...sequentialGoalRows(derived.sequential, GOALS.seqOverBare, { signedMs, goal }),
      ],
    ),
    '',
  );

  // Notes
  const notes = [];
  for (const n of names) {
    for (const note of t[n].notes ?? []) notes.push(`${LABELS[n]}: ${note}`);
    if (!t[n].ok) notes.push(`${LABELS[n]}: **failed** — ${oneLine(t[n].error)}`);
    if (t[n].metering) notes.push(meteringNote(LABELS[n], t[n].metering));
  }
  for (const n of ENFORCED) {
    if (t[n]?.enforcement) notes.push(enforcementNote(LABELS[n], t[n].enforcement, t[n].metering));
  }
  // The sequential phase's own Margin instances and ledgers.
  for (const [n, x] of Object.entries(results.sequential?.targets ?? {})) {
    const label = `${LABELS[n]}, sequential phase`;
    if (x.failures) {
      notes.push(
        `${label}: **${int(x.failures)} failed calls** (not in the samples; the run exits non-zero), e.g. ${x.failureReasons.join('; ')}.`,
      );
    }
    if (x.metering) notes.push(meteringNote(label, x.metering));
    if (x.enforcement) notes.push(enforcementNote(label, x.enforcement, x.metering));
    if (x.connects > 1)
      notes.push(
        `${label}: the client connected ${x.connects} times (the target closed the connection while idle between ` +
          "its rounds); each round's unmeasured calls come first, so no measured call includes a connect.",
      );
  }
  if (t.portkey?.ok) {
    notes.push(
      'Portkey gateway: `start-server.js` calls `serve({ fetch, port })` with no hostname, so on its own it listens on ' +
        'all interfaces (`::`); the bench preloads `bench/lib/loopback-only.js` so it binds 127.0.0.1 (see "listens on").',
      'Portkey gateway: it holds back the first streamed chunk by design (~25 ms); that is included in its TTFB above, not subtracted.',
    );
  }
  if (names.length)
    notes.push(
      "Fixed-rate runs: autocannon's `overallRate` gives each connection a per-second quota that it sends " +
        'back-to-back whenever its own 1 s timer ticks. In the "aligned" run all connections tick together, so each ' +
        'second starts with a burst at full concurrency and latency there measures queueing in that burst more than ' +
        'the proxy; the "staggered" run (the one compared with the ≤ 1 ms target) spreads the connections\' ticks evenly ' +
        'over the second.',
      "Latency percentiles are exact over every 2xx response (from autocannon's per-response timings, float ms), " +
        "not autocannon's 1 ms-resolution histogram.",
    );
  out.push('## Notes', '', ...notes.map((s) => `- ${s}`), '');
  return `${out.join('\n')}\n`;
}

/** The ledger's request count against the 2xx answers Margin gave (must be no fewer). */
function meteringNote(label, mt) {
  if (mt.error) return `${label}: could not read the ledger after the run: ${oneLine(mt.error)}`;
  const extra = mt.metered - mt.served2xx;
  const verdict =
    extra === 0
      ? 'all metered'
      : extra > 0
        ? `all metered; the ${int(extra)} extra were in flight when a load phase stopped counting`
        : `**${int(-extra)} not in the ledger**`;
  return (
    `${label}: metering check — the ledger (\`margin usage\`) holds ${int(mt.metered)} requests; Margin ` +
    `answered ${int(mt.served2xx)} with 2xx during the run (${verdict}).`
  );
}

/** What the limits engine says the customer used, reserved and (wallet) paid, after the run. */
function enforcementNote(label, en, metering) {
  if (en.error) return `${label}: could not read the customer's limits after the run: ${oneLine(en.error)}`;
  const cost = metering?.total?.cost_usd;
  let s =
    `${label}: enforcement check — after the run \`margin customers show\` puts the customer on plan ` +
    `\`${en.plan}\` with $${en.budgetUsed} of its budget used and $${en.budgetReserved} reserved`;
  if (en.walletToppedUpUsd !== null) {
    const debited = usdDiff(en.walletToppedUpUsd, en.walletBalanceUsd);
    s += `; its wallet went from $${en.walletToppedUpUsd} to $${en.walletBalanceUsd} (debited $${debited ?? '?'}, $${en.walletReservedUsd} reserved)`;
  }
  return `${s}${cost !== undefined ? `; the ledger's total cost is $${cost}.` : '.'}`;
}

function pctRatio(v) {
  return isNum(v) ? `${(v * 100).toFixed(1)}%` : '–';
}

function signedInt(v) {
  return isNum(v) ? `${v >= 0 ? '+' : '-'}${int(Math.abs(v))}` : '–';
}

/** a − b for decimal USD strings, exactly (12 decimal places, i.e. picodollars). */
function usdDiff(a, b) {
  const pico = (v) => {
    const m = /^(\d+)(?:\.(\d{1,12}))?$/.exec(String(v ?? ''));
    return m ? BigInt(m[1]) * 10n ** 12n + BigInt((m[2] ?? '').padEnd(12, '0')) : null;
  };
  const x = pico(a);
  const y = pico(b);
  if (x === null || y === null) return null;
  const d = x - y;
  const neg = d < 0n;
  const abs = neg ? -d : d;
  const frac = (abs % 10n ** 12n).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${abs / 10n ** 12n}${frac ? `.${frac}` : ''}`;
}

function oneLine(s) {
  return String(s ?? '')
    .split('\n')[0]
    .slice(0, 160);
}
