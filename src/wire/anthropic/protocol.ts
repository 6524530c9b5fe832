import { obj, str } from '../json.js';
import type { WireProtocol } from '../protocol.js';
import { collectText } from '../request-text.js';
import { requiredOutputCap, requireModelAndMessages } from '../validate.js';
import { renderAnthropicError } from './errors.js';
import { anthropicStreamTap } from './stream-tap.js';
import { answerTextAnthropic, usageFromAnthropic } from './usage.js';

export const anthropicProtocol: WireProtocol = {
  id: 'anthropic',
  generatePath: 'messages',
  renderError: renderAnthropicError,
  renderStreamError: (e) => `event: error\ndata: ${renderAnthropicError(e).body}\n\n`,
  readRequest(body) {
    const r = requireModelAndMessages(body);
    return { ...r, maxOutputTokens: requiredOutputCap(body, 'max_tokens'), maxOutputField: 'max_tokens' };
  },
  // Claude's current tokenizer is not public: o200k plus 20% and generous per-message framing is an upper
  // bound for text (reported usage settles the difference). A cache_control marker may bill the prompt
  // at the cache-write price.
  inputBound(body, raw, count) {
    const messages = Array.isArray(body.messages) ? body.messages.length : 0;
    const text = count(collectText([body.system, body.messages, body.tools]));
    const tokens = Math.ceil(text * 1.2) + 8 * messages + 16;
    const cacheWrite = !raw.includes('"cache_control"') ? 'none' : raw.includes('"1h"') ? '1h' : '5m';
    return { tokens, cacheWrite };
  },
  // Anthropic streams always carry usage; only a `provider/model` rename changes the body.
  prepareUpstream: (body, _raw, { upstreamModel }) =>
    upstreamModel === body.model
      ? undefined
      : { bytes: JSON.stringify({ ...body, model: upstreamModel }), injectedUsage: false },
  withMaxOutputTokens: (body, maxTokens) => ({ ...body, max_tokens: maxTokens }),
  usageFromResponse(body) {
    const o = obj(body);
    return { usage: usageFromAnthropic(o?.usage), model: str(o?.model) };
  },
  answerText: answerTextAnthropic,
  streamTap: () => anthropicStreamTap(),
  requestText: (body) => collectText([body.system, body.messages, body.tools]),
};
