#!/usr/bin/env node
// Reads the real LLM traffic traces (not shipped: too large, and not ours) and writes the small summaries
// under data/traces/ that `margin generate` draws from, so it works on a fresh machine.
//   node scripts/summarize-traces.js [TRACES_DIR] [OUT_DIR]
// TRACES_DIR defaults to ../shared/data (relative to the repository), OUT_DIR to data/traces.
// Each summary keeps its trace's source and licence line. Figures are plain statistics of the traces:
// nearest-rank quantiles of token counts, prompt-cache (shared-prefix) shares, arrival shapes.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tracesDir = resolve(process.argv[2] ?? join(root, '..', 'shared', 'data'));
const outDir = resolve(process.argv[3] ?? join(root, 'data', 'traces'));

/** Quantile levels stored: dense in the tails, where heavy-tailed token counts live. */
const LEVELS = [
  0, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 12.5, 15, 17.5, 20, 22.5, 25, 27.5, 30, 32.5, 35, 37.5, 40, 42.5, 45, 47.5,
  50, 52.5, 55, 57.5, 60, 62.5, 65, 67.5, 70, 72.5, 75, 77.5, 80, 82.5, 85, 87.5, 90, 92, 94, 95, 96, 97, 98,
  99, 99.5, 99.9, 100,
];

/** Nearest-rank quantiles: the smallest value with at least p% of the sample at or below it. */
function quantiles(values) {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) throw new Error('quantiles of an empty sample');
  const values_ = LEVELS.map((p) => {
    const rank = Math.max(1, Math.ceil((p / 100) * s.length));
    return round4(s[rank - 1]);
  });
  return { p: LEVELS, v: values_ };
}

const round4 = (x) => Math.round(x * 10_000) / 10_000;
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

function readLines(file) {
  return readFileSync(join(tracesDir, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/**
 * Prompt-cache reads from a trace's ordered prefix blocks: a request reads from the cache the longest
 * run of leading blocks some earlier request already sent (an unbounded cache: an upper bound on hits).
 */
function prefixCacheShares(requests) {
  const seen = new Set();
  const perRequest = [];
  let cached = 0;
  let total = 0;
  for (const r of requests) {
    let key = '';
    let hit = 0;
    let matching = true;
    for (const [id, tokens] of r.blocks) {
      key = `${key},${id}`;
      if (matching && seen.has(key)) hit += tokens;
      else matching = false;
      seen.add(key);
    }
    hit = Math.min(hit, r.input);
    cached += hit;
    total += r.input;
    perRequest.push(r.input > 0 ? hit / r.input : 0);
  }
  return { tokenShare: round4(cached / total), requestShare: quantiles(perRequest) };
}

function hourHistogram(epochMsList) {
  const hours = new Array(24).fill(0);
  const weekdays = new Array(7).fill(0); // 0 = Monday (ISO)
  for (const t of epochMsList) {
    const d = new Date(t);
    hours[d.getUTCHours()]++;
    weekdays[(d.getUTCDay() + 6) % 7]++;
  }
  return { hours, weekdays };
}

function gaps(sortedMs) {
  const out = [];
  for (let i = 1; i < sortedMs.length; i++) out.push(sortedMs[i] - sortedMs[i - 1]);
  return out;
}

function peakPerSecond(sortedMs) {
  const perSecond = new Map();
  for (const t of sortedMs) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  return Math.max(...perSecond.values());
}

function azure(service) {
  const file = `azure-llm-2023/AzureLLMInferenceTrace_${service}.csv`;
  const rows = readLines(file).slice(1).map((line) => {
    const [ts, ctx, gen] = line.split(',');
    return { t: Date.parse(`${ts.trim().replace(' ', 'T').slice(0, 23)}Z`), input: Number(ctx), output: Number(gen) };
  });
  const times = rows.map((r) => r.t).sort((a, b) => a - b);
  return {
    name: `azure-${service}`,
    source: `Azure/AzurePublicDataset, data/AzureLLMInferenceTrace_${service}.csv (Azure LLM inference trace 2023, one hour, ${service} service)`,
    licence:
      'CC-BY-4.0. Cite: Patel et al., "Splitwise: Efficient Generative LLM Inference Using Phase Splitting", ISCA 2024.',
    requests: rows.length,
    durationSeconds: Math.round((times.at(-1) - times[0]) / 1000),
    inputTokens: quantiles(rows.map((r) => r.input)),
    outputTokens: quantiles(rows.map((r) => r.output)),
    meanInputTokens: Math.round(sum(rows.map((r) => r.input)) / rows.length),
    meanOutputTokens: Math.round(sum(rows.map((r) => r.output)) / rows.length),
    interArrivalMs: quantiles(gaps(times)),
    peakRequestsPerSecond: peakPerSecond(times),
  };
}

function mooncake() {
  const rows = readLines('mooncake/conversation_trace.jsonl').map((l) => JSON.parse(l));
  const requests = rows.map((r) => ({
    input: r.input_length,
    // 512-token blocks; the last one holds the remainder.
    blocks: r.hash_ids.map((id, i) => [id, Math.min(512, r.input_length - i * 512)]),
  }));
  const times = rows.map((r) => r.timestamp).sort((a, b) => a - b);
  return {
    name: 'mooncake-conversation',
    source: 'kvcache-ai/Mooncake, FAST25-release/traces/conversation_trace.jsonl (Kimi conversation trace, one hour)',
    licence: 'Apache-2.0. Copyright Moonshot AI / kvcache-ai (Mooncake).',
    requests: rows.length,
    durationSeconds: Math.round((times.at(-1) - times[0]) / 1000),
    inputTokens: quantiles(rows.map((r) => r.input_length)),
    outputTokens: quantiles(rows.map((r) => r.output_length)),
    meanInputTokens: Math.round(sum(rows.map((r) => r.input_length)) / rows.length),
    meanOutputTokens: Math.round(sum(rows.map((r) => r.output_length)) / rows.length),
    promptCache: {
      method: 'longest run of leading 512-token hash blocks sent by an earlier request (unbounded cache)',
      ...prefixCacheShares(requests),
    },
    interArrivalMs: quantiles(gaps(times)),
  };
}

function ragpulse() {
  const rows = readLines('ragpulse/0_trace.jsonl').map((l) => JSON.parse(l));
  const lengths = new Map();
  for (const [file, idField] of [
    ['1_sys_prompt.jsonl', 'sys_prompt_id'],
    ['2_passages.jsonl', 'passage_id'],
    ['3_history.jsonl', 'history_id'],
    ['4_user_input.jsonl', 'user_input_id'],
    ['5_web_search.jsonl', 'web_search_id'],
  ]) {
    for (const l of readLines(`ragpulse/${file}`)) {
      const o = JSON.parse(l);
      lengths.set(`${file}:${o[idField]}`, o.token_length);
    }
  }
  const parts = [
    ['sys_prompt', '1_sys_prompt.jsonl'],
    ['passages_ids', '2_passages.jsonl'],
    ['history', '3_history.jsonl'],
    ['web_search', '5_web_search.jsonl'],
    ['user_input', '4_user_input.jsonl'],
  ];
  const requests = rows.map((r) => ({
    input: r.input_length,
    blocks: parts.flatMap(([part, file]) =>
      (r.hash_ids[part] ?? []).map((id) => [`${part}:${id}`, lengths.get(`${file}:${id}`) ?? 0]),
    ),
  }));
  // Timestamps are seconds from the trace's start; session ids begin with their start in epoch ms, and
  // the median of (session start − timestamp) places the trace in absolute (UTC) time.
  const offsets = rows
    .map((r) => Number(r.session_id.split('-')[0]) - Number(r.timestamp) * 1000)
    .sort((a, b) => a - b);
  const startMs = offsets[Math.floor(offsets.length / 2)];
  const times = rows.map((r) => startMs + Number(r.timestamp) * 1000);
  const sessions = new Map();
  for (let i = 0; i < rows.length; i++) {
    const s = sessions.get(rows[i].session_id) ?? [];
    s.push(times[i]);
    sessions.set(rows[i].session_id, s);
  }
  const sizes = [...sessions.values()].map((s) => s.length);
  const maxSize = Math.max(...sizes);
  const sizeHistogram = new Array(maxSize).fill(0);
  for (const n of sizes) sizeHistogram[n - 1]++;
  const withinSession = [...sessions.values()].flatMap((s) => gaps(s.sort((a, b) => a - b)));
  const shape = hourHistogram(times);
  return {
    name: 'ragpulse',
    source: 'flashserve/RAGPulse, data/*.jsonl (RAG service trace, 7 days, with session ids)',
    licence: 'MIT. Copyright (c) the RAGPulse authors (flashserve).',
    requests: rows.length,
    traceStartUtc: new Date(startMs).toISOString(),
    durationSeconds: Math.round((Math.max(...times) - Math.min(...times)) / 1000),
    inputTokens: quantiles(rows.map((r) => r.input_length)),
    outputTokens: quantiles(rows.map((r) => r.output_length)),
    meanInputTokens: Math.round(sum(rows.map((r) => r.input_length)) / rows.length),
    meanOutputTokens: Math.round(sum(rows.map((r) => r.output_length)) / rows.length),
    promptCache: {
      method:
        'longest run of leading prompt parts (system prompt, passages, history, web search, user input) sent by an earlier request (unbounded cache)',
      ...prefixCacheShares(requests),
    },
    sessions: {
      count: sessions.size,
      /** requestsPerSession[k − 1] sessions had k requests. */
      requestsPerSession: sizeHistogram,
      gapWithinSessionMs: quantiles(withinSession),
    },
    arrivals: {
      note: 'requests per UTC hour of day and per ISO weekday (0 = Monday) over the 7 days; the service is in UTC+8',
      hourOfDayUtc: shape.hours,
      weekday: shape.weekdays,
    },
  };
}

mkdirSync(outDir, { recursive: true });
for (const summary of [azure('code'), azure('conv'), mooncake(), ragpulse()]) {
  const file = join(outDir, `${summary.name}.json`);
  const json = JSON.stringify({ generatedBy: 'scripts/summarize-traces.js', ...summary }, null, 2);
  // Arrays of numbers on one line each: the files stay small and readable.
  const text = `${json.replace(/\[[\d.,\s-]*\]/g, (a) => a.replace(/\s+/g, ''))}\n`;
  writeFileSync(file, text);
  process.stdout.write(`${file}: ${text.length} bytes\n`);
}
