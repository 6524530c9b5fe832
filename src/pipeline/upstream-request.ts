import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** The upstream's answer once its headers arrived; the body follows. */
export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

/** What the request path needs of an upstream call: its answer, and a way to cancel it. */
export interface UpstreamCall {
  response: Promise<UpstreamResponse>;
  /** Cancels the call (the connection is closed); a pending response or body fails with `reason`. */
  abort(reason: Error): void;
}

/**
 * One upstream request through undici's `dispatch` with a handler of its own. undici's `request()` wraps
 * each call in an AsyncResource, a Readable body stream and a signal listener; this keeps only what the
 * relays use: the whole body at once (JSON), or its chunks in order with backpressure (streams).
 */
export function upstreamRequest(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions): UpstreamCall {
  const handler = new Handler();
  dispatcher.dispatch(opts, handler);
  return handler;
}

/** Unread bytes past which the upstream read pauses (a Readable's default high-water mark). */
const HIGH_WATER = 64 * 1024;

/**
 * The body of an upstream answer: read it whole with `bytes()`, or iterate its chunks (once). While
 * iterated chunks are not taken, the upstream read is paused, so a slow client slows the upstream.
 */
export class UpstreamBody implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes arrived and not yet taken by an iterating reader. */
  private queued = 0;
  /** bytes() was called: everything is kept until the end, never paused. */
  private collecting = false;
  private ended = false;
  private error: Error | undefined;
  /** Whoever waits for the next chunk, the end or an error. */
  private wake: (() => void) | undefined;

  constructor(private readonly handler: Handler) {}

  /** The whole body; rejects if the upstream fails or the call is aborted before its end. */
  async bytes(): Promise<Buffer> {
    this.collecting = true;
    this.handler.resume();
    while (!this.ended && !this.error) await this.next();
    if (this.error) throw this.error;
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    return all;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk) {
          this.queued -= chunk.length;
          if (this.queued < HIGH_WATER) this.handler.resume();
          yield chunk;
        } else if (this.error) throw this.error;
        else if (this.ended) return;
        else await this.next();
      }
    } finally {
      // Leaving early (a break, a throw, a malformed event) closes the upstream connection.
      if (!this.ended && !this.error) this.destroy();
    }
  }

  /** Stops reading: the call is aborted; nothing more arrives. */
  destroy(err?: Error): void {
    this.handler.abort(err ?? new Error('upstream body destroyed'));
  }

  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    this.queued += chunk.length;
    this.poke();
    // Keep reading while the chunks are taken as they come; a reader that falls behind pauses the upstream.
    return this.collecting || this.queued < HIGH_WATER;
  }

  end(): void {
    this.ended = true;
    this.poke();
  }

  fail(err: Error): void {
    if (this.ended) return;
    this.error = err;
    this.poke();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

class Handler implements Dispatcher.DispatchHandler, UpstreamCall {
  readonly response: Promise<UpstreamResponse>;
  private resolve!: (r: UpstreamResponse) => void;
  private reject!: (e: Error) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private body: UpstreamBody | undefined;
  /** An abort asked for before undici handed over its controller. */
  private reason: Error | undefined;
  private done = false;

  constructor() {
    this.response = new Promise<UpstreamResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  abort(reason: Error): void {
    if (this.done) return;
    if (this.controller) this.controller.abort(reason);
    else this.reason ??= reason;
  }

  resume(): void {
    if (this.controller?.paused) this.controller.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.reason) controller.abort(this.reason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx informational: the real answer follows
    this.body = new UpstreamBody(this);
    this.resolve({ statusCode, headers, body: this.body });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.body && !this.body.push(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.done = true;
    this.body?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.done = true;
    if (this.body) this.body.fail(err);
    else this.reject(err);
  }
}
