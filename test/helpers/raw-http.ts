import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Writes raw bytes to the server (requests no HTTP client would send) and reads one HTTP/1.1 answer with
 * a content-length. Rejects on a reset, a hang past `timeoutMs`, or a connection closed without an answer.
 */
export function rawExchange(base: string, bytes: Buffer, timeoutMs: number): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err: Error | undefined, answer?: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer as RawAnswer);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('error', (e) => finish(e));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const answer = parse(Buffer.concat(chunks));
      if (answer) finish(undefined, answer);
    });
    socket.on('close', () => finish(new Error('closed without a complete answer')));
  });
}

function parse(buf: Buffer): RawAnswer | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buf.length < end + 4 + length) return undefined;
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    text: buf.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}
