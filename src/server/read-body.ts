import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../wire/errors.js';

/**
 * How much of an oversized body is read and thrown away after the 413 is sent. Closing with unread bytes
 * makes the kernel reset the connection, and the client would see ECONNRESET/EPIPE instead of the 413;
 * past this bound the connection is cut anyway.
 */
export const DISCARD_BYTES = 64 * 1024 * 1024;

/** Reads a request body up to `limit` bytes; larger bodies fail fast with body_too_large. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(req, 0);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        discardRest(req, size);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Keeps reading (and dropping) the rest of the body while the error answer goes out. */
function discardRest(req: IncomingMessage, seen: number): void {
  let total = seen;
  req.on('data', (c: Buffer) => {
    total += c.length;
    if (total > DISCARD_BYTES) req.socket.destroy();
  });
  req.on('error', () => {}); // the caller already has its answer; a late reset is not an error here
  req.resume();
}

const tooLarge = (limit: number) =>
  new GatewayError(
    'body_too_large',
    `Request body too large: the limit is ${limit} bytes (server.maxBodyBytes)`,
  );
