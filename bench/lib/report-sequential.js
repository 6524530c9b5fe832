// The sequential (one connection, one call at a time) phase: its summary (stored in latest.json) and
// its Markdown section. Column meanings: bench/README.md, "Sequential calls".
import { median, range } from './stats.js';

export const SEQ_KINDS = { json: 'JSON', stream: 'Streamed (`stream: true`)' };

/**
 * Per body kind and target: pooled p50/p99 over every measured call, and the added p50/p99 against
 * direct and against the bare proxy, each taken within a round and then the median over the rounds
 * (so background load that drifts between rounds cancels out).
 */
export function sequentialSummary(seq) {
  if (!seq?.ok) return null;
  const out = {};
  for (const kind of Object.keys(SEQ_KINDS)) {
    const slots = seq.slots.filter((s) => s.kind === kind);
    if (!slots.length) continue;
    const at = (name, round) => slots.find((s) => s.name === name && s.round === round);
    const added = (name, base) => {
      const mine = slots.filter((s) => s.name === name);
      const d = (key) => mine.map((s) => sub(s[key], at(base, s.round)?.[key]));
      const p50s = d('p50');
      return { p50: median(p50s), p99: median(d('p99')), p50Range: range(p50s) };
    };
    const perTarget = {};
    for (const name of seq.names) {
      const k = seq.targets[name]?.kinds?.[kind];
      if (!k) continue;
      perTarget[name] = {
        p50: k.latency.p50,
        p99: k.latency.p99,
        n: k.latency.n,
        ttfbP50: k.ttfb.p50,
        cpuUsPerCall: k.cpuUsPerCall,
        failures: slots.filter((s) => s.name === name).reduce((a, s) => a + s.failures, 0),
        vsDirect: name === 'direct' ? null : added(name, 'direct'),
        vsBare: name === 'bare' || name === 'direct' ? null : added(name, 'bare'),
      };
    }
    out[kind] = perTarget;
  }
  return out;
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const sub = (a, b) => (isNum(a) && isNum(b) ? a - b : null);

/** Markdown lines of the section; `fmt` holds the report's number formatters and labels. */
export function renderSequential(seq, summary, { labels, ms, signedMs, int, table, oneLine }) {
  const out = [
    `## Sequential calls, one connection: ${seq.rounds} interleaved rounds × ${int(seq.calls)} calls per target and kind (after ${int(seq.warmup)} warm-up)`,
    '',
    'One call at a time over one keep-alive connection per target, no pause between calls, from a separate ' +
      'client process (undici, timed with `process.hrtime` from issuing the request to the last body byte). ' +
      'All targets run side by side; each round visits them one after the other (a different one first each ' +
      `round), with ${seq.slotWarmup} unmeasured calls before each target's measured ones. p50/p99: over every ` +
      'measured call of the phase. Added p50/p99: that target minus direct (or the bare proxy) within the same ' +
      'round, median over the rounds; "range" is the lowest and highest round.',
    '',
  ];
  if (!seq.ok) return [...out, `**failed:** ${oneLine(seq.error)}`, ''];
  const pair = (x) => (x ? `${signedMs(x.p50)} / ${signedMs(x.p99)}` : '—');
  for (const [kind, title] of Object.entries(SEQ_KINDS)) {
    const rows = summary[kind];
    if (!rows) continue;
    const bytes = kind === 'json' ? seq.jsonBytes : seq.streamBytes;
    const stream = kind === 'stream';
    out.push(`### ${title}, ${bytes}-byte body${stream ? '; times are to the end of the stream' : ''}`, '');
    out.push(
      table(
        [
          'Target',
          'p50 ms',
          'p99 ms',
          ...(stream ? ['TTFB p50 ms'] : []),
          'added p50 / p99 ms vs direct',
          'added p50 / p99 ms vs bare proxy',
          'added p50 vs bare, range',
          'CPU µs/call',
          'calls / failures',
        ],
        Object.entries(rows).map(([name, x]) => [
          labels[name] ?? name,
          ms(x.p50),
          ms(x.p99),
          ...(stream ? [ms(x.ttfbP50)] : []),
          pair(x.vsDirect),
          pair(x.vsBare),
          x.vsBare ? `${signedMs(x.vsBare.p50Range.min)} … ${signedMs(x.vsBare.p50Range.max)}` : '—',
          int(x.cpuUsPerCall),
          `${int(x.n)} / ${x.failures}`,
        ]),
      ),
      '',
    );
  }
  if (seq.names.includes('portkey')) {
    out.push(
      'Portkey is measured with JSON calls only: it holds back the first chunk of every stream for 25 ms (see the TTFB notes).',
      '',
    );
  }
  return out;
}

/** Rows for the aims table (Margin's aim: ≤ `aimMs` added median over the bare proxy). */
export function sequentialGoalRows(summary, aimMs, { signedMs, goal }) {
  const j = summary?.json;
  if (!j) return [];
  const over = (name, p) => j[name]?.vsBare?.[p] ?? null;
  const direct = (name) => j[name]?.vsDirect?.p50 ?? null;
  const m = over('margin', 'p50');
  const e = over('margin-enforced', 'p50');
  const worst = isNum(m) && isNum(e) ? Math.max(m, e) : null; // the aim needs both
  const rows = [
    [
      'Margin added median over bare proxy, sequential (metering / enforcement)',
      `${signedMs(m)} / ${signedMs(e)} ms`,
      `≤ ${aimMs} ms`,
      goal(worst, worst <= aimMs),
    ],
    [
      'Margin added p99 over bare proxy, sequential (metering / enforcement)',
      `${signedMs(over('margin', 'p99'))} / ${signedMs(over('margin-enforced', 'p99'))} ms`,
      '—',
      '',
    ],
  ];
  if (j['margin-wallet']) {
    rows.push([
      'Margin (plan + prepaid wallet) added median / p99 over bare proxy, sequential',
      `${signedMs(over('margin-wallet', 'p50'))} / ${signedMs(over('margin-wallet', 'p99'))} ms`,
      '—',
      '',
    ]);
  }
  rows.push([
    'Added median over direct, sequential: bare proxy / Margin metering / enforcement / wallet / Portkey',
    `${['bare', 'margin', 'margin-enforced', 'margin-wallet', 'portkey'].map((n) => signedMs(direct(n))).join(' / ')} ms`,
    '—',
    '',
  ]);
  return rows;
}
