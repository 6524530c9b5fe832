import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../wire/errors.js';

/** Reads a request body up to `limit` bytes; larger bodies fail fast with body_too_large. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain so the error response can still be written
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

const tooLarge = (limit: number) =>
  new GatewayError(
    'body_too_large',
    `Request body too large: the limit is ${limit} bytes (server.maxBodyBytes)`,
  );
