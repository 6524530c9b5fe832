import { cumulate } from './prng.js';
import { type Quantiles, quantileSampler, type TraceSummaries } from './trace-summaries.js';

// The product features of the synthetic SaaS: each draws its token sizes from one real trace, sends its
// calls to its own mix of models across providers, and reads the provider's prompt cache as its trace
// shows (the shared-prefix share of Mooncake and RAGPulse).

export interface ModelChoice {
  provider: string;
  /** What the client asked for (`google/…` names a declared OpenAI-compatible provider). */
  requested: string;
  /** What answered and is priced. */
  served: string;
}

export interface FeatureProfile {
  name: string;
  /** Share of all calls (before each customer's own mix). */
  share: number;
  /** Total input tokens (fresh + cached) and output tokens, from a uniform draw. */
  input: (u: number) => number;
  output: (u: number) => number;
  /** Prompt-cache share of a call's input, from a uniform draw; `followUps`: only after a session's first call. */
  cache?: { share: (u: number) => number; followUpsOnly: boolean };
  models: readonly ModelChoice[];
  modelCumulative: Float64Array;
  /** Share of calls answered from Margin's own response cache. */
  responseCacheShare: number;
  streamedShare: number;
  /** Sessions of this feature run this many times longer than RAGPulse's. */
  sessionScale: number;
  source: string;
}

const oa = (m: string): ModelChoice => ({ provider: 'openai', requested: m, served: m });
const an = (m: string): ModelChoice => ({ provider: 'anthropic', requested: m, served: m });
const gg = (m: string): ModelChoice => ({ provider: 'google', requested: `google/${m}`, served: m });

function feature(
  name: string,
  share: number,
  tokens: { input: Quantiles; output: Quantiles; inputScale?: number; source: string },
  models: [ModelChoice, number][],
  rest: Pick<FeatureProfile, 'responseCacheShare' | 'streamedShare' | 'sessionScale' | 'cache'>,
): FeatureProfile {
  return {
    name,
    share,
    input: quantileSampler(tokens.input, tokens.inputScale ?? 1),
    output: quantileSampler(tokens.output),
    models: models.map(([m]) => m),
    modelCumulative: cumulate(models.map(([, w]) => w)),
    source: tokens.source,
    ...rest,
  };
}

/** Model classes follow the catalog's output price per million tokens: small ≤ $5, mid ≤ $20, large above. */
export function featureProfiles(t: TraceSummaries): FeatureProfile[] {
  const conversationCache = quantileSampler(t.mooncake.promptCache.requestShare);
  return [
    feature(
      'chat',
      0.4,
      { input: t.azureConv.inputTokens, output: t.azureConv.outputTokens, source: t.azureConv.name },
      [
        [oa('gpt-4o-mini'), 30],
        [oa('gpt-4.1-mini'), 15],
        [an('claude-haiku-4-5'), 15],
        [gg('gemini-2.5-flash'), 10],
        [oa('gpt-4o'), 12],
        [an('claude-sonnet-4-5'), 12],
        [oa('gpt-5'), 6],
      ],
      {
        responseCacheShare: 0.05,
        streamedShare: 0.7,
        sessionScale: 1.5,
        cache: { share: conversationCache, followUpsOnly: true },
      },
    ),
    feature(
      'code',
      0.2,
      { input: t.azureCode.inputTokens, output: t.azureCode.outputTokens, source: t.azureCode.name },
      [
        [an('claude-sonnet-4-5'), 40],
        [oa('gpt-4.1'), 20],
        [oa('gpt-4.1-mini'), 20],
        [an('claude-haiku-4-5'), 10],
        [gg('gemini-2.5-pro'), 10],
      ],
      {
        responseCacheShare: 0.01,
        streamedShare: 0.5,
        sessionScale: 2,
        cache: { share: conversationCache, followUpsOnly: true },
      },
    ),
    feature(
      'rag',
      0.22,
      { input: t.ragpulse.inputTokens, output: t.ragpulse.outputTokens, source: t.ragpulse.name },
      [
        [oa('gpt-4o-mini'), 40],
        [gg('gemini-2.0-flash'), 20],
        [an('claude-haiku-4-5'), 20],
        [oa('gpt-4.1'), 20],
      ],
      {
        responseCacheShare: 0.06,
        streamedShare: 0.6,
        sessionScale: 1,
        cache: { share: quantileSampler(t.ragpulse.promptCache.requestShare), followUpsOnly: false },
      },
    ),
    feature(
      'agent',
      0.12,
      { input: t.mooncake.inputTokens, output: t.mooncake.outputTokens, source: t.mooncake.name },
      [
        [an('claude-sonnet-4-5'), 50],
        [oa('gpt-5'), 20],
        [gg('gemini-2.5-pro'), 20],
        [an('claude-opus-4-1'), 10],
      ],
      {
        responseCacheShare: 0,
        streamedShare: 0.2,
        sessionScale: 4,
        cache: { share: conversationCache, followUpsOnly: false },
      },
    ),
    feature(
      'long-doc',
      0.06,
      {
        input: t.mooncake.inputTokens,
        inputScale: 1.5,
        output: t.azureConv.outputTokens,
        source: `${t.mooncake.name} ×1.5 (input), ${t.azureConv.name} (output)`,
      },
      [
        [oa('gpt-4.1-mini'), 50],
        [gg('gemini-2.5-flash'), 30],
        [an('claude-sonnet-4-5'), 20],
      ],
      { responseCacheShare: 0.02, streamedShare: 0.3, sessionScale: 1 },
    ),
  ];
}
