import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { anthropicProtocol } from '../wire/anthropic/protocol.js';
import { GatewayError } from '../wire/errors.js';
import { openAIProtocol } from '../wire/openai/protocol.js';
import type { WireProtocol } from '../wire/protocol.js';

/** How long a rejected connection may keep sending before it is cut (its answer is already out). */
const LINGER_MS = 2000;

const answered = new WeakSet<Duplex>();

/**
 * The server's 'clientError' hook: a request Node could not parse (headers over the limit, a malformed
 * request line) gets a JSON error in its caller's protocol instead of Node's empty 431/400. The rest of
 * what the client sends is read and dropped for a moment, so it receives the answer rather than a reset.
 */
export function answerClientError(err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex): void {
  if (answered.has(socket)) return; // the parser reports every later chunk again
  answered.add(socket);
  // A response still being written on this connection (pipelining) must not get our bytes mixed in.
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (!socket.writable || inFlight || err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.destroy();
    return;
  }
  const e =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new GatewayError(
          'headers_too_large',
          `Request headers too large: the limit is ${maxHeaderSize} bytes for the request line and all headers`,
        )
      : new GatewayError('invalid_request', `Malformed HTTP request: ${err.message}`);
  const r = guessProtocol(err.rawPacket).renderError(e);
  socket.end(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(r.body)}\r\n` +
      'connection: close\r\n\r\n' +
      r.body,
  );
  socket.on('error', () => {});
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Anthropic's shape when the bytes seen show an Anthropic route or header; OpenAI's otherwise. */
function guessProtocol(raw: unknown): WireProtocol {
  if (!Buffer.isBuffer(raw)) return openAIProtocol;
  const head = raw.toString('latin1', 0, Math.min(raw.length, 64 * 1024));
  return /^[A-Z]+ \/v1\/messages/.test(head) || /\r\nanthropic-version:/i.test(head)
    ? anthropicProtocol
    : openAIProtocol;
}
