import { type Json, obj, str } from '../json.js';
import type { WireProtocol } from '../protocol.js';
import { collectText } from '../request-text.js';
import { optionalOutputCap, requireModelAndMessages } from '../validate.js';
import { renderOpenAIError } from './errors.js';
import { openAIStreamTap } from './stream-tap.js';
import { answerTextOpenAI, usageFromOpenAI } from './usage.js';

const INCLUDE_USAGE = Buffer.from('{"stream_options":{"include_usage":true},');

export const openAIProtocol: WireProtocol = {
  id: 'openai',
  generatePath: 'chat/completions',
  renderError: renderOpenAIError,
  // The OpenAI SDK raises an APIError for a `data:` chunk that carries `error`.
  renderStreamError: (e) => `data: ${renderOpenAIError(e).body}\n\n`,
  readRequest(body) {
    const r = requireModelAndMessages(body);
    const completion = optionalOutputCap(body, 'max_completion_tokens');
    const legacy = optionalOutputCap(body, 'max_tokens');
    if (completion !== undefined)
      return { ...r, maxOutputTokens: completion, maxOutputField: 'max_completion_tokens' };
    return { ...r, maxOutputTokens: legacy, maxOutputField: 'max_tokens' };
  },
  // OpenAI's documented framing: 3 tokens per message plus 3 to prime the reply; names and tool schemas
  // are counted as text. Prompt caching is automatic and never billed above fresh input.
  inputBound(body, _raw, count) {
    const messages = Array.isArray(body.messages) ? body.messages.length : 0;
    return { tokens: count(collectText([body.messages, body.tools])) + 3 * messages + 3, cacheWrite: 'none' };
  },
  prepareUpstream(body, raw, { stream, upstreamModel }) {
    const renamed = upstreamModel !== body.model;
    // Streams must report usage to be metered; ask for it when the client did not.
    const opts = obj(body.stream_options);
    const inject = stream && opts?.include_usage !== true;
    if (!renamed && !inject) return undefined;
    if (!renamed && body.stream_options === undefined) {
      // Splice the one field into the client's own bytes: cheaper than re-serialising, and every other
      // byte goes upstream exactly as sent.
      const brace = raw.indexOf(123); // '{'
      return { bytes: Buffer.concat([INCLUDE_USAGE, raw.subarray(brace + 1)]), injectedUsage: true };
    }
    const next: Json = { ...body, model: upstreamModel };
    if (inject) next.stream_options = { ...opts, include_usage: true };
    return { bytes: JSON.stringify(next), injectedUsage: inject };
  },
  // Whichever cap the client used; max_completion_tokens when it set neither (max_tokens is deprecated).
  withMaxOutputTokens: (body, maxTokens) =>
    body.max_tokens !== undefined && body.max_completion_tokens === undefined
      ? { ...body, max_tokens: maxTokens }
      : { ...body, max_completion_tokens: maxTokens },
  usageFromResponse(body) {
    const o = obj(body);
    return { usage: usageFromOpenAI(o?.usage), model: str(o?.model) };
  },
  answerText: answerTextOpenAI,
  streamTap: openAIStreamTap,
  requestText: (body) => collectText([body.messages, body.tools]),
};
