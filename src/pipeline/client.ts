import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../wire/errors.js';

/** Whether the calling client is still there, readable at any moment. */
export interface ClientLink {
  /** The client went away before its answer was complete. */
  gone(): boolean;
  /** Runs `fn` once when the client goes (at once if it has gone already) until disposed. */
  onGone(fn: () => void): void;
  /** Aborts when the client goes; made on first use, since only a call queued for budget waits on one. */
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Watches the client of one call. A 'close' can fire before anyone listens (a client that times out while
 * the body is read or the upstream is slow), so the socket's state is read as well as the event awaited.
 * Nothing is allocated per call beyond this object and its one 'close' listener.
 */
export function watchClient(req: IncomingMessage, res: ServerResponse): ClientLink {
  return new ClientWatch(req, res);
}

class ClientWatch implements ClientLink {
  private left = false;
  private listeners: (() => void)[] | undefined;
  private controller: AbortController | undefined;
  private readonly check = (): void => {
    if (this.left) return;
    const res = this.res;
    if (res.writableFinished || !(res.destroyed || this.req.socket.destroyed)) return;
    this.left = true;
    this.controller?.abort(clientClosed());
    const fns = this.listeners;
    this.listeners = undefined;
    if (fns) for (const fn of fns) fn();
  };

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    res.on('close', this.check);
    this.check();
  }

  gone(): boolean {
    this.check();
    return this.left;
  }

  onGone(fn: () => void): void {
    if (this.gone()) fn();
    else if (this.listeners) this.listeners.push(fn);
    else this.listeners = [fn];
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.gone()) this.controller.abort(clientClosed());
    }
    return this.controller.signal;
  }

  dispose(): void {
    this.listeners = undefined;
    this.res.off('close', this.check);
  }
}

export const clientClosed = (): GatewayError =>
  new GatewayError('client_closed', 'The client closed the connection before its answer was complete');
